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
set -euo pipefail
source_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/hotcc-e2e-XXXXXX")"
copy="$work/workspace"
out="$work/stdout"
err="$work/stderr"
dev_pid=""
passed=0

log() { echo "e2e: $*" >&2; }

cleanup() {
  local status=$?
  if [[ -n "$dev_pid" ]] && kill -0 "$dev_pid" 2>/dev/null; then
    kill -TERM -- "-$dev_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$dev_pid" 2>/dev/null || true
  fi
  # Stops the copy's Bazel server and frees its output tree.
  if [[ -d "$copy" ]]; then
    (cd "$copy" && bazel clean --expunge >/dev/null 2>&1) || true
  fi
  if [[ $status -ne 0 ]]; then
    log "FAILED; the app's last output and messages:"
    tail -n 15 "$out" >&2 2>/dev/null || true
    grep -a -e '^hotcc:' -e 'ERROR' -e 'error:' "$err" 2>/dev/null | tail -n 25 >&2 || true
    echo "e2e: $passed passed, 1 failed"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  log "FAIL: $*"
  exit 1
}

ok() {
  passed=$((passed + 1))
  log "ok: $*"
}

# Waits until `command` succeeds, for at most `seconds`.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [[ $SECONDS -lt $deadline ]] || fail "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

# The PID of the app that ibazel runs (ibazel gives it a process group of its own), found by
# its executable's path in the copy's output tree.
app_pid() {
  pgrep -f "^$execroot/bazel-out/[^/]*/bin/app/app( |$)" | head -n 1
}

last_line() { tail -n 1 "$out"; }
lines_matching() { grep -c -E "$1" "$out" || true; }
has_line() { grep -q -E "$1" "$out"; }
has_message() { grep -a -q -E "$1" "$err"; }
tick_of() { sed -E 's/.*tick (-?[0-9]+).*/\1/' <<<"$1"; }

replace() {  # replace FILE OLD NEW: a literal edit that must apply.
  local file="$copy/$1"
  grep -q -F -- "$2" "$file" || fail "$1 no longer contains: $2"
  python3 - "$file" "$2" "$3" <<'EOF'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
open(path, "w").write(text.replace(old, new, 1))
EOF
}

log "copying the workspace to $copy"
mkdir -p "$copy"
(cd "$source_root" && git ls-files -z --cached --others --exclude-standard |
  xargs -0 cp --parents -t "$copy")
(cd "$copy" && bash tools/setup.sh)
execroot="$(cd "$copy" && bazel info execution_root 2>/dev/null)"

log "starting tools/dev.sh"
# A terminal delivers Ctrl-C to a foreground job whose SIGINT is not ignored; a job started
# from a script in the background would inherit SIGINT ignored, so restore it.
(cd "$copy" && exec setsid python3 -c \
  'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
  tools/dev.sh --tick_ms=100 --seed=5 >"$out" 2>"$err" </dev/null) &
dev_pid=$!

wait_for 600 "the first tick" has_line '^tick [0-9]+ '
pid="$(app_pid)"
[[ -n "$pid" ]] || fail "cannot find the app's process"
ok "the dev loop runs the hot app (pid $pid)"

# 1. Hot libraries: new output from the same process, the tick counter going on.
before="$(tick_of "$(last_line)")"
replace libs/view/view.cc '"tick "' '"e2e tick "'
wait_for 60 "the edited view" has_line '^e2e tick '
first="$(grep -m 1 -E '^e2e tick ' "$out")"
[[ "$(app_pid)" == "$pid" ]] || fail "the app restarted for a view edit"
[[ "$(tick_of "$first")" -gt "$before" ]] || fail "ticks restarted: $before, then '$first'"
ok "a view edit shows in the same process, ticks going on ($before -> $(tick_of "$first"))"

replace libs/update/update.cc 'state.tick += 1;' 'state.tick += 1000;'
wait_for 60 "the edited update" bash -c \
  "tail -n 2 '$out' | awk '{print \$3}' | paste -sd' ' | awk '{exit !(\$2 - \$1 == 1000)}'"
[[ "$(app_pid)" == "$pid" ]] || fail "the app restarted for an update edit"
ok "an update edit changes the arithmetic in the same process"

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
leftovers="$(ls -d "${TMPDIR:-/tmp}/hotcc-$pid-"* "${TMPDIR:-/tmp}/hotcc-snapshot-"* 2>/dev/null || true)"
[[ -z "$leftovers" ]] || fail "temporary files left behind: $leftovers"
dev_pid=""
ok "Ctrl-C stops every process and leaves no temporary file"

echo "e2e: $passed passed, 0 failed"
