#!/usr/bin/env bash
# End-to-end test of the dev loop in the README's two-terminal form, with the real tools, on a
# temporary copy of this workspace; the commands are typed exactly as the README shows them:
#   1. `ibazel build //libs/...` in one process, `bazel run --config=hot //app` in another: an
#      edit to libs/view and to libs/update reaches the same app process, the ticks going on;
#   2. the two share Bazel's analysis cache: neither says "discarding analysis cache" (.bazelrc
#      gives them identical options; a difference costs every alternation a new analysis);
#   3. the mistakes a developer makes in fresh code are survived, each by the same app process
#      with its state (the tick counter goes on): a failed assert, an endless loop, a static
#      initializer that crashes; and Ctrl-C ends the app cleanly while a module call spins;
#   4. `ibazel test //...` re-runs a test after an edit of its library and of the test itself,
#      and reports the new result each time.
# Cleans up after itself (processes, Bazel server, the copy) even when it fails.
#   tools/e2e_two_terminal_test.sh     (tools/test.sh runs it after tools/e2e_test.sh)
e2e_name=e2e-two-terminal
# shellcheck source=tools/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

ibazel_err="$work/ibazel-build.stderr"
test_out="$work/ibazel-test.stdout"
test_err="$work/ibazel-test.stderr"
e2e_logs+=("$ibazel_err" "$test_err" "$test_out")
started_at=$SECONDS

# ibazel has Bazel colour its output; the checks read it without escape sequences.
plain() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$@"; }
# Where ibazel test's output ends now, as "STDOUT_LINES STDERR_LINES" (Bazel's test summary may
# go to either); the checks below read only what comes after such a mark.
test_mark() { echo "$(wc -l <"$test_out") $(wc -l <"$test_err")"; }
test_output_since() {  # test_output_since MARK
  local -a mark
  read -r -a mark <<<"$1"
  plain "$test_out" | tail -n +"$((mark[0] + 1))"
  plain "$test_err" | tail -n +"$((mark[1] + 1))"
}
# Captured before grep: `... | grep -q` would fail under pipefail when grep stops reading early.
test_printed_since() {  # test_printed_since MARK REGEX
  local text
  text="$(test_output_since "$1")"
  grep -q -E "$2" <<<"$text"
}
# Waits for the end of ibazel's test run after MARK, then a moment for ibazel to watch again.
wait_for_test_run() {
  wait_for 300 "ibazel's test run to end" \
    test_printed_since "$1" 'Executed [0-9]+ out of [0-9]+ test'
  sleep 1
}

# 1. Two terminals: ibazel rebuilds the libraries, the hot app loads them.
log "terminal 1: ibazel build //libs/..."
start_in_copy "$work/ibazel-build.stdout" "$ibazel_err" ibazel build //libs/...
ibazel_pid="$started_pid"
wait_for 600 "ibazel's first build" grep -a -q -s 'Build completed successfully' "$ibazel_err"

log "terminal 2: bazel run --config=hot //app"
start_in_copy "$out" "$err" bazel run --config=hot //app -- --tick_ms=100 --seed=5 \
  --hot_call_limit=1500ms
app_group="$started_pid"
wait_for 300 "the first tick" has_line '^tick [0-9]+ '
ok "ibazel build //libs/... beside bazel run --config=hot //app runs the hot app (pid $(app_pid))"
check_hot_library_edits

# 2. Neither command discarded the other's analysis cache.
discarded="$(plain "$ibazel_err" "$err" | grep 'discarding analysis cache' | sort -u || true)"
[[ -z "$discarded" ]] || fail "the two commands do not share one analysis cache: $discarded"
ok "ibazel build and bazel run --config=hot share one analysis cache"

# 3. Mistakes in fresh code: each is reported, rolled back, and the same process ticks on.
app="$(app_pid)"
# Waits for MESSAGE on the app's stderr after its first SINCE lines, then for the ticks to go on
# in the same process.
survives() {  # survives WHAT SINCE MESSAGE
  local what="$1" since="$2" message="$3" tick
  tick="$(tick_of "$(last_line)")"
  wait_for 120 "$what to be reported" bash -c \
    "tail -n +$((since + 1)) '$err' | grep -a -q -E '$message'"
  wait_for_ticks_past 20 "$((tick + 3))" "$what"
  [[ "$(app_pid)" == "$app" ]] || fail "the app did not survive $what"
  ok "$what: reported, rolled back, the same process ticks on past $tick"
}
# Writes libs/update/update.cc as the last good one (check_hot_library_edits' edit) plus the
# literal edits OLD NEW ..., in one write, so that ibazel builds the result only.
write_update() {  # write_update OLD NEW [OLD NEW ...]
  local staged="$work/update.cc"
  cp "$source_root/libs/update/update.cc" "$staged"
  python3 -c '
import sys
path, *edits = sys.argv[1:]
text = open(path).read()
for old, new in zip(edits[::2], edits[1::2]):
    assert old in text, "update.cc no longer contains: " + old
    text = text.replace(old, new, 1)
open(path, "w").write(text)
' "$staged" 'state.tick += 1;' 'state.tick += 1000;' "$@"
  mv "$staged" "$copy/libs/update/update.cc"
}
# Whether the app printed no line for `seconds`: a call into a module spins.
ticks_stalled() {  # ticks_stalled SECONDS
  local before
  before="$(wc -l <"$out")"
  sleep "$1"
  [[ "$(wc -l <"$out")" == "$before" ]]
}
readonly endless_loop='state.tick += 1000;
  for (volatile bool forever = true; forever;) {
  }'

since="$(wc -l <"$err")"
write_update '#include <algorithm>' '#include <algorithm>
#include <cassert>' 'state.tick += 1000;' 'state.tick += 1000;
  assert(state.tick < 0 && "e2e: a fresh assert");'
survives "a failed assert" "$since" \
  'update_state in v[0-9]+ crashed: SIGABRT \(abort\): .*Assertion .*e2e: a fresh assert'

since="$(wc -l <"$err")"
write_update 'state.tick += 1000;' "$endless_loop"
survives "an endless loop" "$since" 'update_state in v[0-9]+ did not return within 1.5s'

since="$(wc -l <"$err")"
write_update 'HOTCC_DEFINE_MODULE(update' 'namespace {
__attribute__((constructor)) void CrashWhileLoading() {
  volatile int* unmapped = nullptr;
  *unmapped = 1;
}
}  // namespace

HOTCC_DEFINE_MODULE(update'
survives "an initializer that crashes" "$since" \
  'update: kept v[0-9]+, refused the new file: .*crashed while loading, in a helper process'

# Ctrl-C while a module call spins, before its time limit: the app exits 0 at once. The loop
# differs from the one above, so that this is a new build.
since="$(wc -l <"$err")"
write_update 'state.tick += 1000;' "${endless_loop//forever/spinning}"
wait_for 120 "the looping build to load" bash -c \
  "tail -n +$((since + 1)) '$err' | grep -a -q 'update: reloaded'"
wait_for 5 "the app to spin in the new build" ticks_stalled 0.4
interrupted_at=$SECONDS
kill -INT -- "-$app_group"
wait_for 5 "the app to exit on Ctrl-C" bash -c "! kill -0 $app 2>/dev/null"
status=0
wait "$app_group" 2>/dev/null || status=$?
[[ $status -eq 0 ]] || fail "the app exited with status $status on Ctrl-C during a hung call"
has_message 'update_state in v[0-9]+ abandoned: the process is stopping' ||
  fail "the hung call was not abandoned by the stop request"
leftovers="$(ls -d "${TMPDIR:-/tmp}/hotcc-$app-"* 2>/dev/null || true)"
[[ -z "$leftovers" ]] || fail "temporary files left behind: $leftovers"
ok "Ctrl-C during a hung module call: exit 0 within $((SECONDS - interrupted_at))s, nothing left"

interrupt_group "$app_group"
interrupt_group "$ibazel_pid"
log "two terminals: $((SECONDS - started_at))s"
# The test below starts from the workspace's sources.
cp "$source_root/libs/view/view.cc" "$copy/libs/view/view.cc"
cp "$source_root/libs/update/update.cc" "$copy/libs/update/update.cc"

# 4. ibazel test: an edit re-runs the tests it affects, and their new results show.
test_started_at=$SECONDS
log "ibazel test //..."
start_in_copy "$test_out" "$test_err" ibazel test //...
test_pid="$started_pid"
wait_for 600 "ibazel's first test run" \
  test_printed_since "0 0" '^//libs/view:view_test +(\(cached\) )?PASSED in '
wait_for_test_run "0 0"
log "first ibazel test //...: $((SECONDS - test_started_at))s"

since="$(test_mark)"
replace libs/view/view.cc '"tick "' '"e2e tick "'
wait_for 300 "view_test to fail after a view.cc edit" \
  test_printed_since "$since" '^//libs/view:view_test +FAILED in '
ok "ibazel test re-runs view_test after a view.cc edit, and reports it FAILED"
wait_for_test_run "$since"

since="$(test_mark)"
python3 - "$copy/libs/view/view_test.cc" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
assert text.count('"tick ') == 2, "view_test.cc no longer has its two expectations"
open(path, "w").write(text.replace('"tick ', '"e2e tick '))
EOF
wait_for 300 "view_test to pass after a view_test.cc edit" \
  test_printed_since "$since" '^//libs/view:view_test +PASSED in '
ok "ibazel test re-runs view_test after a view_test.cc edit, and reports it PASSED"
interrupt_group "$test_pid"
log "ibazel test: $((SECONDS - test_started_at))s"

log "$((SECONDS - started_at))s after the copy"
echo "$e2e_name: $passed passed, 0 failed"
