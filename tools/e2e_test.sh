#!/usr/bin/env bash
# End-to-end test of the dev loop, with the real tools: tools/dev.sh (ibazel, Bazel, the hot
# app) on a temporary copy of this workspace. It edits the copy as a developer would and checks
# what the running app prints:
#   1. an edit to libs/view and to libs/update shows up in the same process, the ticks going on;
#   2. a compile error leaves the app running its last good code; fixing it recovers;
#   3. an edit to app/ relaunches the app in place with its state;
#   4. an edit to State relaunches it fresh, and it runs;
#   5. Ctrl-C stops every process and leaves no temporary files.
# Cleans up after itself (processes, Bazel server, the copy) even when it fails.
#   tools/e2e_test.sh          (tools/test.sh runs it after bazel test //...)
e2e_name=e2e
# shellcheck source=tools/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

log "starting tools/dev.sh"
start_in_copy "$out" "$err" tools/dev.sh --tick_ms=100 --seed=5
dev_pid="$started_pid"

wait_for 600 "the first tick" has_line '^tick [0-9]+ '
pid="$(app_pid)"
[[ -n "$pid" ]] || fail "cannot find the app's process"
ok "the dev loop runs the hot app (pid $pid)"

# 1. Hot libraries: new output from the same process, the tick counter going on.
check_hot_library_edits

# 2. A compile error keeps the old code running; fixing it recovers.
replace libs/view/view.cc 'return "e2e tick "' 'return "broken tick " +'
wait_for 60 "the failed build" has_message 'the build failed'
count="$(lines_matching '^e2e tick ')"
wait_for 10 "ticks after the failed build" bash -c \
  "[[ \$(grep -c -E '^e2e tick ' '$out') -gt $((count + 3)) ]]"
[[ "$(app_pid)" == "$pid" ]] || fail "the app stopped on a compile error"
ok "a compile error leaves the app on its last good code"
replace libs/view/view.cc 'return "broken tick " +' 'return "fixed tick "'
wait_for 60 "the fixed view" has_line '^fixed tick '
[[ "$(app_pid)" == "$pid" ]] || fail "the app restarted after the fix"
ok "fixing the error recovers, in the same process"

# 3. An app edit relaunches the app in place, with its state.
before="$(tick_of "$(last_line)")"
replace app/main.cc 'prints one line per tick;' 'prints one line per tick (e2e);'
wait_for 120 "the relaunch" has_message 'resumed at tick'
wait_for 10 "ticks after the relaunch" bash -c \
  "[[ \$(tail -n 1 '$out' | awk '{print \$3}') -gt $before ]]"
[[ "$(app_pid)" == "$pid" ]] || fail "the relaunch is not in place (pid $(app_pid))"
ok "an app edit relaunches in place and keeps the state (ticks past $before)"

# 4. A State edit relaunches it fresh, and it runs.
replace libs/shared/state.h 'std::int64_t peak = 0;' 'std::int64_t peak = 0;
  // Added by the end-to-end test.
  std::int64_t e2e_field = 0;'
wait_for 180 "the fresh start" has_message 'starting fresh: State changed'
count="$(lines_matching '^fixed tick ')"
wait_for 10 "ticks after the fresh start" bash -c \
  "[[ \$(grep -c -E '^fixed tick ' '$out') -gt $((count + 3)) ]]"
ok "a State edit relaunches the app fresh, and it runs"

# 5. Ctrl-C stops everything and leaves nothing behind.
pid="$(app_pid)"
kill -INT -- "-$dev_pid"
wait_for 30 "every process to stop" bash -c "! pgrep -g $dev_pid >/dev/null && ! kill -0 $pid 2>/dev/null"
leftovers="$(ls -d "${TMPDIR:-/tmp}/hotcc-$pid-"* "${TMPDIR:-/tmp}/hotcc-state-"* 2>/dev/null || true)"
[[ -z "$leftovers" ]] || fail "temporary files left behind: $leftovers"
ok "Ctrl-C stops every process and leaves no temporary file"

echo "e2e: $passed passed, 0 failed"
