#!/usr/bin/env bash
# tools/compile_commands.sh on a temporary copy of this workspace, checked as an IDE would use it:
#   1. compile_commands.json covers the app, the loader, every hot library and the tests;
#   2. `clangd --check` finds no error in any file it lists (the generated headers, such as the
#      interface fingerprint and app/app_modules.h, and the external repositories resolve);
#   3. the dev loop's analysis cache survives it: after a run, `bazel build --config=hot //app`
#      configures at most its one top-level target anew, not the 543 of a discarded cache.
#   tools/compile_commands_test.sh     (tools/test.sh runs it)
e2e_name=compile-commands
# shellcheck source=tools/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

started_at=$SECONDS
bazel_log="$work/bazel.log"
e2e_logs+=("$bazel_log")
(cd "$copy" && bazel build --config=hot --noshow_progress //app >>"$bazel_log" 2>&1) ||
  fail "bazel build --config=hot //app failed"

# 1. The file, and what it covers.
(cd "$copy" && tools/compile_commands.sh) 2>>"$bazel_log" || fail "tools/compile_commands.sh failed"
json="$copy/compile_commands.json"
[[ -f "$json" ]] || fail "no compile_commands.json at the workspace root"
mapfile -t files < <(python3 -c 'import json, sys
for e in json.load(open(sys.argv[1])): print(e["file"])' "$json")
for wanted in app/main.cc reload/hot_reloader.cc reload/state_codec.cc libs/view/view.cc \
  libs/update/update.cc reload/module_slot_test.cc; do
  printf '%s\n' "${files[@]}" | grep -q -x -F "$copy/$wanted" ||
    fail "compile_commands.json does not list $wanted"
done
ok "compile_commands.json lists ${#files[@]} files: the app, the loader, the hot libraries, the tests"

# 2. clangd, as an editor starts it, on every file. Its diagnostics are the lines
# "E[time] [diagnostic] Line N: ..."; --check-lines=1 spares the per-token feature tests, whose
# own failures (a refactoring that does not apply) --check counts as errors too.
errors=0
for file in "${files[@]}"; do
  report="$(cd "$copy" && clangd --check="$file" --check-lines=1 2>&1 || true)"
  if ! grep -q 'All checks completed' <<<"$report" ||
      grep -q -E '^E\[[^]]*\] \[[a-z_]+\] Line' <<<"$report"; then
    log "clangd --check=$file:"
    grep -E '^E\[[^]]*\] \[' <<<"$report" | head -n 10 >&2
    errors=$((errors + 1))
  fi
done
[[ $errors -eq 0 ]] || fail "clangd reports errors in $errors files"
ok "clangd --check reports no error in any of the ${#files[@]} files ($((SECONDS - started_at))s)"

# 3. The dev loop's analysis cache survives a run: //app, built, is not analysed again after
# tools/compile_commands.sh regenerates the file.
(cd "$copy" && bazel build --config=hot --noshow_progress //app >>"$bazel_log" 2>&1) ||
  fail "bazel build --config=hot //app failed"
(cd "$copy" && tools/compile_commands.sh) 2>>"$bazel_log" || fail "tools/compile_commands.sh failed"
analyzed="$(cd "$copy" && bazel build --config=hot //app 2>&1 | grep 'Analyzed target' || true)"
# A discarded cache configures every target of //app again (543 here); after a run, at most
# the one top-level target is (seen: "1 packages loaded, 1 target configured").
configured="$(grep -o -E '[0-9]+ targets? configured' <<<"$analyzed" | cut -d' ' -f1)"
[[ -n "$configured" && "$configured" -le 1 ]] ||
  fail "the dev loop's analysis cache was discarded: $analyzed"
ok "the dev loop's analysis cache survives it: $analyzed"

echo "$e2e_name: $passed passed, 0 failed"
