#!/usr/bin/env bash
# End-to-end test of the dev loop, with the real tools: tools/dev.sh (ibazel, Bazel, the hot
# app) on a temporary copy of this workspace. It edits the copy as a developer would and checks
# what the running app prints:
#   1. an edit to libs/view and to libs/update shows up in the same process, the ticks going on;
#      the view edit comes from the fast path, confirmed by Bazel; so does an edit of view.h; a
#      fast-path build that Bazel's sandbox refuses (an undeclared header) is reverted;
#   2. a compile error leaves the app running its last good code; fixing it recovers;
#   3. an edit to app/ relaunches the app in place with its state;
#   4. edits to State (a comment; a std::vector field added, retyped, removed) relaunch it in
#      place, its state carried by field name, the ticks going on; a field of a type that
#      cannot be carried is a compile error naming it;
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
has_message '^hotcc: view: reloaded v[0-9]+ .*; live [0-9.]+ms after its build started \(build [0-9.]+ms, notify [0-9.]+ms, load [0-9.]+ms\)$' ||
  fail "the reload line does not say how long after its build started the module went live"
ok "each reload says how long after its build started the module went live: $(grep -a -o 'live [0-9.]*ms after its build started.*' "$err" | tail -n 1)"

# 1b. The fast path (tools/fast_path.py): the view edit above was loaded from its build, which
#     Bazel's then confirmed; a header of the library's own package takes the same path; a build
#     that Bazel refuses (an undeclared header, which the fast path cannot see) is reverted.
has_message 'hotcc: view: reloaded v[0-9]+ from .*/libview\.so \(fast path\)' ||
  fail "the view edit was not loaded from the fast path"
has_message "hotcc: view: Bazel's build is byte for byte v[0-9]+ from the fast path: confirmed" ||
  fail "Bazel's build did not confirm the fast path's"
ok "the view edit was loaded from the fast path's build, then confirmed by Bazel's"
replace libs/view/view.h 'namespace hotcc::demo {
' 'namespace hotcc::demo {

inline constexpr char kE2eLinePrefix[] = "header tick ";
'
replace libs/view/view.cc 'return "e2e tick "' 'return kE2eLinePrefix'
wait_for 60 "the view printing a header's constant" has_line '^header tick '
loads="$(grep -a -c 'hotcc: view: reloaded v[0-9]* from .* (fast path)' "$err")"
replace libs/view/view.h '"header tick "' '"header edit tick "'
wait_for 60 "the header edit" has_line '^header edit tick '
[[ "$(grep -a -c 'hotcc: view: reloaded v[0-9]* from .* (fast path)' "$err")" -gt "$loads" ]] ||
  fail "the header edit was not loaded from the fast path"
[[ "$(app_pid)" == "$pid" ]] || fail "the app restarted for a header edit"
ok "an edit of libs/view/view.h reached the app through the fast path, in the same process"
replace libs/view/view.cc 'return kE2eLinePrefix' 'return "e2e tick "'
wait_for 60 "the view back to its e2e prefix" bash -c "tail -n 1 '$out' | grep -q '^e2e tick '"
# Bazel's build of it (which confirms the fast path's, or, if ibazel's debounce took in the
# save before, is the one that printed it) is the last good build that the next step's failed
# build goes back to. Messages are matched anywhere in a line: ibazel's output may leave one
# unfinished.
view_runs_bazels_build() {
  local event="hotcc: view: (reloaded v[0-9]+ from [^ ]+( \(fast path\))?|Bazel's build is byte)"
  grep -a -o -E "$event" "$err" | tail -n 1 | grep -q -v 'fast path'
}
wait_for 120 "Bazel's build of the view back to its e2e prefix" view_runs_bazels_build

failures="$(grep -a -c 'the build failed' "$err" || true)"
echo '#define E2E_UNDECLARED_PREFIX "undeclared tick "' >"$copy/libs/view/e2e_undeclared.h"
replace libs/view/view.cc '#include <string>
' '#include <string>

#include "libs/view/e2e_undeclared.h"
'
replace libs/view/view.cc 'return "e2e tick "' 'return E2E_UNDECLARED_PREFIX'
wait_for 60 "the fast path's build with an undeclared header" has_line '^undeclared tick '
wait_for 120 "Bazel's refusal of the undeclared header" bash -c \
  "[[ \$(grep -a -c 'the build failed' '$err') -gt $failures ]]"
wait_for 10 "the revert to Bazel's last good build" has_message \
  "hotcc: view: Bazel's build failed, so v[0-9]+ from the fast path is not confirmed"
wait_for 10 "the view back on Bazel's last good build" bash -c \
  "tail -n 1 '$out' | grep -q '^e2e tick '"
[[ "$(app_pid)" == "$pid" ]] || fail "the app restarted for the revert"
ok "a fast-path build that Bazel refuses (undeclared header) is replaced by Bazel's last good one"
replace libs/view/view.cc '
#include "libs/view/e2e_undeclared.h"
' ''
replace libs/view/view.cc 'return E2E_UNDECLARED_PREFIX' 'return "e2e tick "'
rm "$copy/libs/view/e2e_undeclared.h"
builds="$(grep -a -c 'IBAZEL BUILD SUCCESS' "$err" || true)"
wait_for 120 "the build after the undeclared header's removal" bash -c \
  "[[ \$(grep -a -c 'IBAZEL BUILD SUCCESS' '$err') -gt $builds ]]"

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
wait_for_ticks_past 10 "$before" "the relaunch"
[[ "$(app_pid)" == "$pid" ]] || fail "the relaunch is not in place (pid $(app_pid))"
ok "an app edit relaunches in place and keeps the state (ticks past $before)"

# 4. State edits relaunch the app in place, and the state crosses by field name: a comment
#    (the interface fingerprint stays; nothing is refused), a std::vector field added, retyped,
#    then removed. Each time the tick counter goes on.
# state_edit WHAT OLD NEW EXPECTED: edits libs/shared/state.h and waits for the relaunch whose
# "resumed" line matches EXPECTED, with the ticks going on in the same process.
state_edit() {
  local what="$1" old="$2" new="$3" expected="$4" resumed before line
  resumed="$(grep -a -c 'resumed at tick' "$err" || true)"
  before="$(tick_of "$(last_line)")"
  replace libs/shared/state.h "$old" "$new"
  wait_for 180 "the relaunch after $what" bash -c \
    "[[ \$(grep -a -c 'resumed at tick' '$err') -gt $resumed ]]"
  line="$(grep -a 'resumed at tick' "$err" | tail -n 1)"
  grep -q -E "$expected" <<<"$line" || fail "after $what: '$line' does not match '$expected'"
  [[ "$(tick_of "$line")" -ge "$before" ]] || fail "after $what the ticks restarted: $line"
  wait_for_ticks_past 10 "$before" "$what"
  [[ "$(app_pid)" == "$pid" ]] || fail "the relaunch after $what is not in place"
  ok "$what: relaunched in place, ticks past $before; $(sed 's/.*previous build: //' <<<"$line")"
}
# A comment edit: the build runs, and changes nothing that matters. The fingerprint is the same,
# so the rebuilt modules are not refused; if the app's binary changed too, it relaunches with
# every field kept.
errors_before="$(grep -a -c -E 'refused|starting fresh' "$err" || true)"
builds_before="$(grep -a -c 'Build completed successfully' "$err" || true)"
before="$(tick_of "$(last_line)")"
replace libs/shared/state.h '  // The largest position so far.' '  // The largest position so far,
  // reached at some tick.'
wait_for 180 "the build after a comment edit in State" bash -c \
  "[[ \$(grep -a -c 'Build completed successfully' '$err') -gt $builds_before ]]"
sleep 2
[[ "$(grep -a -c -E 'refused|starting fresh' "$err" || true)" == "$errors_before" ]] ||
  fail "a comment edit in State refused a module or started the app fresh"
if grep -a 'resumed at tick' "$err" | tail -n 1 | grep -q -E 'converted|reset|added|dropped'; then
  fail "a comment edit in State changed how the state crossed"
fi
wait_for_ticks_past 10 "$before" "the comment edit"
[[ "$(app_pid)" == "$pid" ]] || fail "a comment edit in State restarted the app"
ok "a comment edit in State: built, nothing refused, the ticks going on past $before"
state_edit "a std::vector field added" '  std::int64_t peak = 0;' '  std::int64_t peak = 0;
  std::vector<std::int32_t> e2e_history;' 'kept state.tick.*; added state.e2e_history$'
state_edit "the field retyped" 'std::vector<std::int32_t> e2e_history;' \
  'std::vector<std::int64_t> e2e_history;' \
  'kept state.tick.*; converted state.e2e_history \(vector<int32> -> vector<int64>\)$'
state_edit "the field removed" '
  std::vector<std::int64_t> e2e_history;' '' 'kept state.tick.*; dropped state.e2e_history$'

# A field that cannot be carried is a compile error naming it; the app runs on.
failures="$(grep -a -c 'the build failed' "$err" || true)"
replace libs/shared/state.h '  std::int64_t peak = 0;' '  std::int64_t peak = 0;
  int* e2e_pointer = nullptr;'
wait_for 180 "the failed build of an uncarriable field" bash -c \
  "[[ \$(grep -a -c 'the build failed' '$err') -gt $failures ]]"
has_message 'CarriedField<.*\{"e2e_pointer"\}, int\*>' ||
  fail "the compile error does not name the uncarriable field"
[[ "$(app_pid)" == "$pid" ]] || fail "the app stopped on an uncarriable field"
ok "an uncarriable State field is a compile error that names it; the app runs on"

# 5. Ctrl-C stops everything and leaves nothing behind.
pid="$(app_pid)"
fast_dir="$(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^HOTCC_FAST_DIR=//p')"
[[ -d "$fast_dir" ]] || fail "the app has no fast path directory (HOTCC_FAST_DIR='$fast_dir')"
kill -INT -- "-$dev_pid"
wait_for 30 "every process to stop" bash -c "! pgrep -g $dev_pid >/dev/null && ! kill -0 $pid 2>/dev/null"
leftovers="$(ls -d "${TMPDIR:-/tmp}/hotcc-$pid-"* "${TMPDIR:-/tmp}/hotcc-state-"* 2>/dev/null || true)"
[[ -z "$leftovers" ]] || fail "temporary files left behind: $leftovers"
[[ ! -e "$fast_dir" ]] || fail "the fast path's directory $fast_dir is left behind"
ok "Ctrl-C stops every process and leaves no temporary file"

echo "e2e: $passed passed, 0 failed"
