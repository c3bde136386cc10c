#!/usr/bin/env bash
# "Debugging a module with gdb" (README.md), run with real gdb in batch mode on a temporary copy
# of this workspace, one gdb session across a reload each time:
#   1. the dev loop (tools/dev.sh --hot_call_limit=inf) with gdb attached to its app
#      (gdb -p PID): `break view_state` stops at libs/view/view.cc:N in the private copy
#      libview.v1.so, source line shown; an edit that moves the function, saved while the app is
#      stopped there, is rebuilt by ibazel, and after `continue` the same breakpoint stops in
#      libview.v2.so at the function's new line; the private directory holds exactly the copies
#      of the mapped versions, and nothing once Ctrl-C has stopped the app;
#   2. the app started by gdb itself (gdb --args bazel-bin/app/app), where attaching is not
#      allowed: a pending `break view_state` stops in v1, `bazel build //libs/...` rebuilds the
#      module (the app sees it through inotify), and gdb stops in v2 at the new line.
# Cleans up after itself (processes, the copy's Bazel server and output tree, the copy) even
# when it fails.
#   tools/gdb_test.sh     (tools/test.sh runs it)
e2e_name=gdb
# shellcheck source=tools/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"
gdb_out="$work/gdb.out"
gdb_err="$work/gdb.err"

# A failure also shows what gdb said last.
fail() {
  log "FAIL: $*"
  if [[ -s "$gdb_out" || -s "$gdb_err" ]]; then
    log "gdb's last lines, then its warnings:"
    tail -n 15 "$gdb_out" "$gdb_err" >&2
  fi
  exit 1
}

command -v gdb >/dev/null || fail "gdb is not installed (tools/setup.sh installs it)"
started_at=$SECONDS
bazel_log="$work/bazel.log"
e2e_logs+=("$gdb_out" "$gdb_err" "$bazel_log")
view=libs/view/view.cc
tmp_base="${TMPDIR:-/tmp}"
shopt -s nullglob  # A glob of private directories that matches none is empty.

# The line of view_state's definition in the copy's view.cc.
definition_line() { grep -n -m 1 '^std::string view_state(' "$copy/$view" | cut -d: -f1; }

# move_view_state COUNT WORDS: inserts COUNT comment lines above view_state, so that its line
# moves, and has the view print WORDS where it printed $view_words.
view_words=tick
move_view_state() {
  local count="$1" lines=""
  for _ in $(seq 1 "$count"); do lines+="// moved by tools/gdb_test.sh"$'\n'; done
  replace "$view" 'std::string view_state(' "${lines}std::string view_state("
  replace "$view" "return \"$view_words \"" "return \"$2 \""
  view_words="$2"
}

# Writes a gdb command file: the recipe's commands, then, where a developer saves an edit while
# stopped, a wait for the test's rebuild (until the file $work/rebuilt-N exists), then `continue`
# until the stop is no longer in libview.v1.so. A stop or two may still be in v1: calls the app
# makes before its loader looks at the new file (it catches up the ticks it missed while it was
# stopped). Then gdb detaches, and the app runs on. `start` is `continue` (attached) or `run`.
write_gdb_commands() {
  local file="$1" start="$2" round="$3"
  cat >"$file" <<EOF
set pagination off
set confirm off
set breakpoint pending on
break view_state
$start
python print("gdb_test: app pid", gdb.selected_inferior().pid)
info symbol \$pc
shell touch '$work/stopped-$round'
shell timeout 300 sh -c "until [ -f '$work/rebuilt-$round' ]; do sleep 0.2; done"
python
for stops in range(1, 501):
    gdb.execute("continue")
    if "libview.v1.so" not in gdb.execute("info symbol \$pc", to_string=True):
        break
print("gdb_test: stops after the rebuild:", stops)
end
info symbol \$pc
directory
list view_state
info breakpoints
detach
EOF
}

# check_stop WHAT LINE COPY: the last breakpoint stop in gdb's output so far is in view_state at
# libs/view/view.cc:LINE (the line gdb printed), in the private copy COPY (libview.vN.so) of the
# app's private directory.
check_stop() {
  local what="$1" line="$2" copy_name="$3" stop where
  stop="$(grep -a -E '^(Thread .* hit )?Breakpoint 1(\.[0-9]+)?, ' "$gdb_out" | tail -n 1)"
  [[ "$stop" =~ view_state.*\ at\ libs/view/view\.cc:([0-9]+)$ ]] ||
    fail "$what: gdb did not stop in view_state with a file and line: '${stop:-no stop}'"
  [[ "${BASH_REMATCH[1]}" == "$line" ]] ||
    fail "$what: gdb stopped at libs/view/view.cc:${BASH_REMATCH[1]}, view_state is at line $line"
  where="$(grep -a -E ' in section \.text of ' "$gdb_out" | tail -n 1)"
  [[ "$where" == *" of $tmp_base/hotcc-$app-"*"/$copy_name" ]] ||
    fail "$what: the stop is not in the private copy $copy_name of app $app: '$where'"
}

# 1. The dev loop, gdb attached to its app. Attaching to a process that is not gdb's child needs
#    ptrace permission: with Yama's ptrace_scope above 0, only root has it.
ptrace_scope="$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)"
if [[ "$ptrace_scope" -gt 0 && "$(id -u)" -ne 0 ]]; then
  log "skipped 1: kernel.yama.ptrace_scope is $ptrace_scope, so gdb -p is not allowed here"
else
  log "terminal 1: tools/dev.sh --tick_ms=100 --hot_call_limit=inf"
  start_in_copy "$out" "$err" tools/dev.sh --tick_ms=100 --seed=5 --hot_call_limit=inf
  dev_pid="$started_pid"
  wait_for 600 "the first tick" has_line '^tick [0-9]+ '
  app="$(app_pid)"
  [[ -n "$app" ]] || fail "cannot find the app's process"
  ok "the dev loop runs the hot app (pid $app)"

  line="$(definition_line)"
  write_gdb_commands "$work/attach.gdb" continue 1
  log "terminal 2: gdb -p $app, break view_state, continue"
  start_in_copy "$gdb_out" "$gdb_err" gdb -batch -x "$work/attach.gdb" -p "$app"
  gdb_pid="$started_pid"
  wait_for 60 "gdb to stop in view_state" test -f "$work/stopped-1"
  check_stop "attached" "$line" libview.v1.so
  grep -a -q -E "^${line}[[:space:]]+std::string view_state\(" "$gdb_out" ||
    fail "gdb did not show view_state's source line (it reads libs/view/view.cc as" \
      "/proc/self/cwd/libs/view/view.cc, DW_AT_comp_dir, from its own working directory)"
  ok "attached, break view_state stops at libs/view/view.cc:$line in libview.v1.so, with its source"

  builds="$(grep -a -c 'Build completed successfully' "$err" || true)"
  move_view_state 3 "gdb tick"
  new_line="$(definition_line)"
  [[ "$new_line" -eq $((line + 3)) ]] || fail "the edit did not move view_state: $line, $new_line"
  wait_for 120 "ibazel's rebuild of the edit" bash -c \
    "[[ \$(grep -a -c 'Build completed successfully' '$err') -gt $builds ]]"
  touch "$work/rebuilt-1"
  wait_for 120 "gdb to finish" bash -c "! kill -0 $gdb_pid 2>/dev/null"
  check_stop "after the reload" "$new_line" libview.v2.so
  grep -a -q -E "^${new_line}[[:space:]]+std::string view_state\(" "$gdb_out" ||
    fail "after 'directory', gdb did not show view_state's new source line $new_line"
  ok "the same session stops in libview.v2.so at the new line $new_line" \
    "($(grep -a -o 'stops after the rebuild: [0-9]*' "$gdb_out" | tail -n 1))"

  wait_for 30 "the edited view to print" has_line '^gdb tick '
  [[ "$(app_pid)" == "$app" ]] || fail "the app restarted"
  private=("$tmp_base/hotcc-$app-"*)
  [[ ${#private[@]} -eq 1 ]] || fail "expected one private directory of app $app: ${private[*]}"
  files="$(cd "${private[0]}" && printf '%s\n' * | sort | paste -sd' ')"
  [[ "$files" == "libupdate.v1.so libview.v1.so libview.v2.so" ]] ||
    fail "the private directory holds '$files', not the copies of the three mapped versions"
  ok "after gdb detached the app runs v2; its private directory holds the mapped versions: $files"

  interrupt_group "$dev_pid" 30
  leftovers=("$tmp_base/hotcc-$app-"*)
  [[ ${#leftovers[@]} -eq 0 ]] || fail "temporary files left behind: ${leftovers[*]}"
  ok "Ctrl-C stops the app and its private directory is removed"
fi

# 2. The app started by gdb; the module rebuilt by `bazel build //libs/...`.
(cd "$copy" && bazel build --config=hot //app //libs/... >>"$bazel_log" 2>&1) ||
  fail "bazel build --config=hot //app failed"
: >"$gdb_out"
: >"$gdb_err"
line="$(definition_line)"
write_gdb_commands "$work/run.gdb" run 2
log "gdb --args bazel-bin/app/app: break view_state (pending), run"
start_in_copy "$gdb_out" "$gdb_err" gdb -batch -x "$work/run.gdb" \
  --args bazel-bin/app/app --tick_ms=100 --hot_call_limit=inf
gdb_pid="$started_pid"
wait_for 60 "gdb to stop in view_state" test -f "$work/stopped-2"
app="$(grep -a -o 'gdb_test: app pid [0-9]*' "$gdb_out" | awk '{print $4}')"
[[ -n "$app" ]] || fail "gdb did not say the app's pid"
# The app is in a process group of its own (gdb made it): stopped with the rest on any exit.
e2e_groups+=("$app")
check_stop "started by gdb" "$line" libview.v1.so
ok "gdb --args bazel-bin/app/app: the pending breakpoint stops at libs/view/view.cc:$line"

move_view_state 2 "gdb run tick"
new_line="$(definition_line)"
(cd "$copy" && bazel build //libs/... >>"$bazel_log" 2>&1) || fail "bazel build //libs/... failed"
touch "$work/rebuilt-2"
wait_for 120 "gdb to finish" bash -c "! kill -0 $gdb_pid 2>/dev/null"
check_stop "after the reload" "$new_line" libview.v2.so
ok "after bazel build //libs/..., the same session stops in libview.v2.so at the new line" \
  "$new_line ($(grep -a -o 'stops after the rebuild: [0-9]*' "$gdb_out" | tail -n 1))"
# gdb detached at its end, and the app ran on: stop it as Ctrl-C would.
kill -INT "$app" 2>/dev/null || true
wait_for 30 "the app to exit" bash -c "! kill -0 $app 2>/dev/null"
leftovers=("$tmp_base/hotcc-$app-"*)
[[ ${#leftovers[@]} -eq 0 ]] || fail "temporary files left behind: ${leftovers[*]}"
ok "the app exits on SIGINT and leaves no private directory"

log "took $((SECONDS - started_at))s"
echo "gdb: $passed passed, 0 failed"
