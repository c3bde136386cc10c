#!/usr/bin/env bash
# The hotcc dev loop, in one command (installs what is missing first):
#   tools/dev.sh [app flags, e.g. --tick_ms=200]
# Runs the app in hot mode under ibazel. Saving a file under libs/ rebuilds the module and the
# running app loads it between two ticks, state kept; saving under app/ or libs/shared/
# rebuilds the app, which relaunches itself in place, carrying its state over by field name,
# even when State itself was edited (reload/state_codec.h). A compile error leaves the app on its last good code, with the error
# shown here. Ctrl-C stops ibazel and the app; the Bazel server stays up as a cache
# (`bazel shutdown` stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh
# The fast path (tools/fast_path.py): on a save of a hot library's file, it runs Bazel's own
# compile and link command lines for that module at once, and the app loads the result from
# HOTCC_FAST_DIR (mktemp -d: 0700, removed at exit); Bazel's build of the same save follows and
# confirms it, or replaces it (reload/hot_reloader.h). HOTCC_FAST_PATH=0 turns it off;
# HOTCC_FAST_PATH_VERBOSE=1 makes it say what it builds, and what it leaves to Bazel and why.
fast_dir=""
fast_pid=""
if [[ "${HOTCC_FAST_PATH:-1}" != 0 ]]; then
  fast_dir="$(mktemp -d "${TMPDIR:-/tmp}/hotcc-fast.XXXXXX")"
  python3 tools/fast_path.py --out_dir="$fast_dir" --target=//app \
    ${HOTCC_FAST_PATH_VERBOSE:+--verbose} &
  fast_pid=$!
  export HOTCC_FAST_DIR="$fast_dir"
fi
stop_fast_path() {
  if [[ -n "$fast_pid" ]]; then
    kill "$fast_pid" 2>/dev/null || true
    wait "$fast_pid" 2>/dev/null || true
  fi
  if [[ -n "$fast_dir" ]]; then rm -rf "$fast_dir"; fi
}
trap stop_fast_path EXIT
# -debounce: ibazel waits this long after a save before building; its default is 100 ms. With
# the fast path, Bazel's build waits 300 ms, so that it does not take the second core from the
# fast path's compile (on 2 cores that made the fast path 1.36 times the compiler's floor,
# against 1.03 with 300 ms: tools/bench/RESULTS.md, section 6); without it, 20 ms.
# HOTCC_DEBOUNCE overrides it, for tools/bench/edit_latency.py's comparison of values.
default_debounce=300ms
[[ -n "$fast_dir" ]] || default_debounce=20ms
# -bazel_path: ibazel runs the workspace's shim (tools/bazel, which finds the real Bazel itself)
# directly. /usr/bin/bazel would exec the same shim, but only after its own bash start-up, which
# costs about 40 ms of every rebuild on the 2-core machine (tools/bench/RESULTS.md, benchmark 1).
ibazel -debounce="${HOTCC_DEBOUNCE:-$default_debounce}" -bazel_path="$PWD/tools/bazel" \
  run --config=hot //app -- "$@" &
ibazel_pid=$!

# One Ctrl-C stops everything, and the app gets to exit on its own, so that it removes its
# temporary files. ibazel takes a first SIGINT as "stop the app" and a second one as "exit",
# killing what is left with SIGKILL; a terminal's Ctrl-C reaches ibazel as well as this script,
# so a SIGINT sent from here could be ibazel's second while the app is still exiting. Hence the
# app (in a process group of its own, ibazel's child) is asked first, with SIGTERM, and ibazel
# only once the app is gone.
stop() {
  trap - INT TERM
  local child
  for child in $(pgrep -P "$ibazel_pid"); do
    kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
  done
  for _ in $(seq 1 100); do
    pgrep -P "$ibazel_pid" >/dev/null || break
    sleep 0.1
  done
  kill -INT "$ibazel_pid" 2>/dev/null || true
  for _ in $(seq 1 25); do
    kill -0 "$ibazel_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -INT "$ibazel_pid" 2>/dev/null || true
  for _ in $(seq 1 25); do
    kill -0 "$ibazel_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -TERM "$ibazel_pid" 2>/dev/null || true
  wait "$ibazel_pid" 2>/dev/null || true
  exit 0
}
trap stop INT TERM
wait "$ibazel_pid"
