#!/usr/bin/env bash
# hotcc used from another workspace: examples/consumer, which names hotcc @hotcc_dep, built and
# run as its developer would, on a temporary copy of this workspace (the consumer's
# local_repository path, "../..", is then the copy):
#   1. `tools/setup.sh --workspace=examples/consumer` serves the consumer's dependencies offline;
#   2. `bazel build -c opt //host` is fully static, with none of the loader in it;
#   3. the dev build, `bazel build //host`, is dynamically linked and prints exactly what the
#      static one prints; `bazel test //...` (the module's stateless test) passes;
#   4. an edit to greeting/greeting.cc, built with `bazel build //greeting:libgreeting.so`,
#      shows in the running hot host, the same process, its count going on;
#   5. SIGTERM stops the host with status 0, leaving no temporary file.
# Cleans up after itself (processes, the consumer's Bazel server and output tree, the copy) even
# when it fails.
#   tools/consumer_test.sh     (tools/test.sh runs it after the end-to-end tests)
e2e_name=consumer
e2e_bazel_workspaces=examples/consumer
# shellcheck source=tools/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

started_at=$SECONDS
consumer="$copy/examples/consumer"
bazel_log="$work/bazel.log"
e2e_logs+=("$bazel_log")
readonly TICKS=5

# Runs Bazel in the consumer's workspace, its output in bazel.log (shown on failure).
consumer_bazel() {
  (cd "$consumer" && bazel "$@" --noshow_progress >>"$bazel_log" 2>&1) ||
    fail "bazel $* failed in examples/consumer"
}
count_of() { grep -o -E 'count [0-9]+' <<<"$1" | cut -d' ' -f2; }

# 1. The offline setup, for the consumer's workspace.
bash "$copy/tools/setup.sh" --workspace="$consumer"
[[ -f "$consumer/.bazelrc.deps" ]] || fail "setup.sh --workspace wrote no .bazelrc.deps"
ok "tools/setup.sh --workspace=examples/consumer wrote its .bazelrc.deps"

# 2. The release build: fully static, and the loader is not in it.
consumer_bazel build -c opt //host
cp "$consumer/bazel-bin/host/host" "$work/host_static"
file "$work/host_static" | grep -q 'statically linked' ||
  fail "the -c opt host is not statically linked: $(file "$work/host_static")"
if nm -C "$work/host_static" | grep -q 'hotcc::HotReloader'; then
  fail "the -c opt host contains the loader"
fi
ok "bazel build -c opt //host is fully static, without the loader ($((SECONDS - started_at))s)"

# 3. The dev build: hot, and the same lines as the static build.
consumer_bazel build //host
hot="$consumer/bazel-bin/host/host"
file -L "$hot" | grep -q 'dynamically linked' ||
  fail "the dev build of //host is not dynamically linked: $(file -L "$hot")"
"$work/host_static" --ticks=$TICKS --tick_ms=0 >"$work/static.out"
"$hot" --ticks=$TICKS --tick_ms=0 >"$work/hot.out" 2>"$work/hot.err" ||
  fail "the hot host failed: $(cat "$work/hot.err")"
grep -q '^hotcc: greeting: loaded v1 from .*/greeting/libgreeting.so' "$work/hot.err" ||
  fail "the hot host did not load libgreeting.so: $(cat "$work/hot.err")"
if [[ "$(wc -l <"$work/static.out")" -ne $TICKS ||
      "$(tail -n 1 "$work/static.out")" != "hello from greeting, count $TICKS" ]]; then
  fail "unexpected static output: $(cat "$work/static.out")"
fi
diff "$work/static.out" "$work/hot.out" >&2 || fail "the static and hot hosts print different lines"
ok "the dev build loads libgreeting.so and prints the static build's $TICKS lines"
# Run, not taken from the disk cache: the check is what this step is for, and takes a second.
consumer_bazel test --nocache_test_results //...
ok "bazel test //... passes in the consumer's workspace"

# 4. An edit to the module reaches the running host.
start_in_copy "$out" "$err" "$hot" --tick_ms=100
host_pid="$started_pid"
wait_for 30 "the hot host's first line" has_line '^hello from greeting, count [0-9]+$'
before="$(count_of "$(last_line)")"
replace examples/consumer/greeting/greeting.cc '"hello from greeting, count "' \
  '"edited greeting, count "'
consumer_bazel build //greeting:libgreeting.so
wait_for 30 "the edited greeting" has_line '^edited greeting, count [0-9]+$'
first="$(grep -m 1 -E '^edited greeting, count ' "$out")"
kill -0 "$host_pid" 2>/dev/null || fail "the hot host exited"
has_message '^hotcc: greeting: reloaded v2 ' || fail "the loader did not say it reloaded v2"
[[ "$(count_of "$first")" -gt "$before" ]] || fail "the count restarted: $before, then '$first'"
ok "the running host prints the edited line, its count going on ($before -> $(count_of "$first"))"

# 5. SIGTERM stops it cleanly.
kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
[[ $status -eq 0 ]] || fail "the hot host exited with $status on SIGTERM"
leftovers="$(ls -d "${TMPDIR:-/tmp}/hotcc-$host_pid-"* 2>/dev/null || true)"
[[ -z "$leftovers" ]] || fail "temporary files left behind: $leftovers"
ok "SIGTERM stops the hot host with status 0, leaving no temporary file"

log "$((SECONDS - started_at))s after the copy"
echo "$e2e_name: $passed passed, 0 failed"
