# shellcheck shell=bash
# Shared by the end-to-end tests (tools/e2e_test.sh, tools/e2e_two_terminal_test.sh): sourced,
# not run. Sourcing it copies this workspace to a temporary directory, with a Bazel output base
# of its own, and arranges that everything is cleaned up on exit, even on failure: every process
# group started with start_in_copy, the copy's Bazel server and output tree, the copy itself.
#
# It sets: source_root (this workspace), copy (the copy), work (the scratch directory holding
# it), out and err (the app's stdout and stderr, which the helpers below read), execroot (the
# copy's execution root). The sourcing script names itself in e2e_name first, and may add files
# to e2e_logs, whose errors are shown on failure beside the app's output. A script that runs
# Bazel in another workspace of the copy than the copy itself (tools/consumer_test.sh) names it
# in e2e_bazel_workspaces (directories relative to the copy; "." by default), and the copy's own
# Bazel server is then not started: execroot is set only when "." is among them.
set -euo pipefail
: "${e2e_name:?set e2e_name before sourcing tools/e2e_lib.sh}"
: "${e2e_bazel_workspaces:=.}"
source_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/hotcc-e2e-XXXXXX")"
copy="$work/workspace"
out="$work/stdout"
err="$work/stderr"
e2e_logs=("$err")
e2e_groups=()
started_pid=""
passed=0

log() { echo "$e2e_name: $*" >&2; }

e2e_cleanup() {
  local status=$? group log_file bazel_workspace
  for group in "${e2e_groups[@]}"; do
    kill -0 "$group" 2>/dev/null || continue
    kill -TERM -- "-$group" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$group" 2>/dev/null || true
  done
  # Stops the Bazel server of each workspace the test ran Bazel in, and frees its output tree.
  for bazel_workspace in $e2e_bazel_workspaces; do
    if [[ -d "$copy/$bazel_workspace" ]]; then
      (cd "$copy/$bazel_workspace" && bazel clean --expunge >/dev/null 2>&1) || true
    fi
  done
  if [[ $status -ne 0 ]]; then
    log "FAILED; the app's last output and messages:"
    tail -n 15 "$out" >&2 2>/dev/null || true
    for log_file in "${e2e_logs[@]}"; do
      [[ -f "$log_file" ]] || continue
      echo "--- $(basename "$log_file"):" >&2
      grep -a -e 'hotcc:' -e 'ERROR' -e 'error:' -e 'FAILED' "$log_file" | tail -n 25 >&2 || true
    done
    echo "$e2e_name: $passed passed, 1 failed"
  fi
  rm -rf "$work"
}
trap e2e_cleanup EXIT

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

# Runs `command...` in the copy as a developer's terminal would: in a process group of its own
# (setsid), with SIGINT at its default (a job started from a script in the background would
# inherit it ignored, and a terminal delivers Ctrl-C to a foreground job). stdout and stderr go
# to the given files. Sets started_pid, which is also the group's id.
start_in_copy() {
  local stdout="$1" stderr="$2"
  shift 2
  (cd "$copy" && exec setsid python3 -c \
    'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    "$@" >"$stdout" 2>"$stderr" </dev/null) &
  started_pid=$!
  e2e_groups+=("$started_pid")
}

# Sends Ctrl-C to a group started with start_in_copy, a second one if it is still there after
# `seconds` (ibazel takes the first as "stop the command", the second as "exit"), and fails if
# the group is not gone `seconds` later.
interrupt_group() {
  local group="$1" seconds="${2:-10}"
  kill -INT -- "-$group" 2>/dev/null || true
  local deadline=$((SECONDS + seconds))
  while pgrep -g "$group" >/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.2; done
  kill -INT -- "-$group" 2>/dev/null || true
  wait_for "$seconds" "process group $group to exit on Ctrl-C" bash -c "! pgrep -g $group >/dev/null"
  wait "$group" 2>/dev/null || true
}

# The PID of the running app, found by its executable's path in the copy's output tree.
app_pid() {
  pgrep -f "^$execroot/bazel-out/[^/]*/bin/app/app( |$)" | head -n 1
}

last_line() { tail -n 1 "$out"; }
# wait_for_ticks_past SECONDS TICK WHAT: waits until the app's last line is past tick TICK
# (the third word: "<prefix> tick N | ..."), for at most SECONDS.
wait_for_ticks_past() {
  wait_for "$1" "ticks past $2 after $3" bash -c \
    "[[ \$(tail -n 1 '$out' | awk '{print \$3}') -gt $2 ]]"
}
lines_matching() { grep -c -E "$1" "$out" || true; }
has_line() { grep -q -E "$1" "$out"; }
has_message() { grep -a -q -E "$1" "$err"; }
tick_of() { grep -o -E 'tick -?[0-9]+' <<<"$1" | head -n 1 | cut -d' ' -f2; }

replace() {  # replace FILE OLD NEW: a literal edit of the copy that must apply, once.
  local file="$copy/$1"
  grep -q -F -- "$2" "$file" || fail "$1 no longer contains: $2"
  python3 - "$file" "$2" "$3" <<'EOF'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
open(path, "w").write(text.replace(old, new, 1))
EOF
}

# The edits every form of the dev loop must take: libs/view, then libs/update, reach the same
# app process, the tick counter going on. Leaves the view printing "e2e tick ".
check_hot_library_edits() {
  local pid before first
  pid="$(app_pid)"
  [[ -n "$pid" ]] || fail "cannot find the app's process"
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
}

log "copying the workspace to $copy"
mkdir -p "$copy"
(cd "$source_root" && git ls-files -z --cached --others --exclude-standard |
  xargs -0 cp --parents -t "$copy")
(cd "$copy" && bash tools/setup.sh)
if [[ " $e2e_bazel_workspaces " == *" . "* ]]; then
  execroot="$(cd "$copy" && bazel info execution_root 2>/dev/null)"
fi
