#!/usr/bin/env bash
# "Adding a hot library" (README.md), done to a temporary copy of this workspace exactly as the
# README says, and seen to work in a running host:
#   1. a new package, libs/mood (its BUILD stanza, its source filling its function table), its
#      table's type in the shared interface, one line in app/BUILD.bazel, and the calling code
#      in app/main.cc: the static and the hot app both print the new library's word, the same;
#   2. an edit to libs/mood/mood.cc, built with `bazel build //libs/...`, shows in the running
#      hot app, the same process, its tick counter going on;
#   3. `bazel build -c opt //app` is fully static, holds no loader, and calls each of the three
#      libraries directly: the host API's calls fold into plain calls (reload/linked_host.h).
# Cleans up after itself (processes, the copy's Bazel server and output tree, the copy) even
# when it fails.
#   tools/add_library_test.sh     (tools/test.sh runs it)
e2e_name=add-library
# shellcheck source=tools/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

started_at=$SECONDS
bazel_log="$work/bazel.log"
e2e_logs+=("$bazel_log")
copy_bazel() {
  (cd "$copy" && bazel "$@" --noshow_progress >>"$bazel_log" 2>&1) || fail "bazel $* failed"
}

# 1. The library, as README.md's "Adding a hot library" writes it.
mkdir -p "$copy/libs/mood"
cat >"$copy/libs/mood/BUILD.bazel" <<'EOF'
load("//tools:hot_cc_library.bzl", "hot_cc_library")

hot_cc_library(
    name = "mood",
    srcs = ["mood.cc"],
    visibility = ["//visibility:public"],
    deps = ["//libs/shared"],
)
EOF
cat >"$copy/libs/mood/mood.cc" <<'EOF'
#include <string>

#include "libs/shared/modules.h"

namespace hotcc::demo {

std::string mood_of(const State& state) { return state.position >= 0 ? "calm" : "stormy"; }

}  // namespace hotcc::demo

HOTCC_DEFINE_MODULE(mood, hotcc::demo::MoodApi, {&hotcc::demo::mood_of})
EOF
replace libs/shared/modules.h '// libupdate.so'"'"'s table.' '// libmood.so'"'"'s table.
struct MoodApi {
  std::string (*mood_of)(const State& state);
};

// libupdate.so'"'"'s table.'
replace app/BUILD.bazel '        "//libs/update",' '        "//libs/mood",
        "//libs/update",'
# The calling code: bind the module, call it, print what it says.
replace app/main.cc '  Host::Module<ViewApi, app_modules::view> view;' \
  '  Host::Module<ViewApi, app_modules::view> view;
  Host::Module<MoodApi, app_modules::mood> mood;'
replace app/main.cc '  return Libraries{*std::move(host), *update, *view};' \
  '  absl::StatusOr<Host::Module<MoodApi, app_modules::mood>> mood =
      (*host)->Add<MoodApi, app_modules::mood>(HOTCC_INTERFACE_FINGERPRINT);
  if (!mood.ok()) return mood.status();
  return Libraries{*std::move(host), *update, *view, *mood};'
replace app/main.cc '  if (!status.ok()) return status;
  return line;' '  if (!status.ok()) return status;
  status = libraries.mood.Call("mood_of", [&](const MoodApi& api) {
    line += " | " + api.mood_of(state);
  });
  if (!status.ok()) return status;
  return line;'

copy_bazel build //app:app_static //app:app_hot //libs/...
"$copy/bazel-bin/app/app_static" --ticks=8 --tick_ms=0 --seed=7 >"$work/static.out"
"$copy/bazel-bin/app/app_hot" --ticks=8 --tick_ms=0 --seed=7 >"$work/hot.out" 2>"$work/hot.err" ||
  fail "the hot app failed: $(cat "$work/hot.err")"
grep -q '^hotcc: mood: loaded v1 from .*/libs/mood/libmood.so' "$work/hot.err" ||
  fail "the hot app did not load libmood.so: $(cat "$work/hot.err")"
[[ "$(grep -c -E '^tick [0-9]+ \|.* \| (calm|stormy)$' "$work/static.out")" -eq 8 ]] ||
  fail "the static app does not print the new library's word: $(cat "$work/static.out")"
diff "$work/static.out" "$work/hot.out" >&2 || fail "the static and hot apps print different lines"
copy_bazel test //libs/mood:all
ok "a third library, added as the README says, runs in both builds, the same ($((SECONDS - started_at))s)"

# 2. An edit to it reaches the running hot app.
start_in_copy "$out" "$err" "$copy/bazel-bin/app/app_hot" --tick_ms=100
app="$started_pid"
wait_for 30 "the hot app's first line" has_line '\| (calm|stormy)$'
before="$(tick_of "$(last_line)")"
replace libs/mood/mood.cc '"calm" : "stormy"' '"sunny" : "rainy"'
copy_bazel build //libs/...
wait_for 30 "the edited library's word" has_line '\| (sunny|rainy)$'
first="$(grep -m 1 -E '\| (sunny|rainy)$' "$out")"
kill -0 "$app" 2>/dev/null || fail "the hot app exited"
has_message '^hotcc: mood: reloaded v2 ' || fail "the loader did not say it reloaded mood v2"
[[ "$(tick_of "$first")" -gt "$before" ]] || fail "the ticks restarted: $before, then '$first'"
ok "the running app prints the edited library's word, its ticks going on ($before -> $(tick_of "$first"))"

kill -TERM "$app"
wait "$app" || fail "the hot app exited with $? on SIGTERM"
# 3. The release build: static, no loader, direct calls.
copy_bazel build -c opt //app
release="$work/app_release"
cp "$copy/bazel-bin/app/app" "$release"
file "$release" | grep -q 'statically linked' || fail "-c opt //app is not static: $(file "$release")"
if nm -C "$release" | grep -q -E 'hotcc::(HotReloader|HotHost)'; then
  fail "the -c opt app contains the loader"
fi
objdump -d --no-show-raw-insn -C "$release" >"$work/release.s"
for function in 'update_state' 'view_state' 'mood_of'; do
  grep -q -E "call +[0-9a-f]+ <hotcc::demo::$function" "$work/release.s" ||
    fail "the -c opt app does not call $function directly"
done
# With the calls folded, nothing refers to the modules' entry points and the linker drops them.
if nm "$release" | grep -q ' hotcc_module_'; then
  fail "the -c opt app still calls through its modules' entry points"
fi
ok "bazel build -c opt //app is static, without the loader, and calls the three libraries directly"

log "$((SECONDS - started_at))s after the copy"
echo "$e2e_name: $passed passed, 0 failed"
