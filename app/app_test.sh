#!/usr/bin/env bash
# The two builds of the app, as a user runs them:
#   - the static and the hot build print the same lines for the same --seed and --ticks;
#   - the hot binary works when copied elsewhere and pointed at its modules with --hot_dir;
#   - stdout carries only the app's lines; the loader's lines go to stderr with "hotcc: ";
#   - SIGTERM and SIGINT end the app with status 0 and leave no temporary files.
# Arguments: the static binary, the hot binary, libupdate.so, libview.so.
set -euo pipefail
static_app="$1" hot_app="$2" update_module="$3" view_module="$4"

scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/app_test.XXXXXX")"
export TMPDIR="$scratch/tmp"  # Where the app's private directories go, to check for leftovers.
mkdir -p "$TMPDIR"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The hot build, copied away from Bazel's tree with its modules beside it.
elsewhere="$scratch/elsewhere"
mkdir -p "$elsewhere/modules"
cp "$hot_app" "$elsewhere/app_hot"
cp "$update_module" "$view_module" "$elsewhere/modules/"

"$static_app" --seed=7 --ticks=25 --tick_ms=0 >"$scratch/static.out" 2>"$scratch/static.err"
"$elsewhere/app_hot" --seed=7 --ticks=25 --tick_ms=0 --hot_dir="$elsewhere/modules" \
  >"$scratch/hot.out" 2>"$scratch/hot.err"

[[ $(wc -l <"$scratch/static.out") -eq 25 ]] || fail "the static app printed $(wc -l <"$scratch/static.out") lines, not 25"
grep -q -E '^tick 25 \| position -?[0-9]+ \| total -?[0-9]+ \| peak -?[0-9]+ \| recent -?[0-9]+(,-?[0-9]+)* \| (north|south|home)$' "$scratch/static.out" ||
  fail "unexpected last line: $(tail -n 1 "$scratch/static.out")"
cmp -s "$scratch/static.out" "$scratch/hot.out" ||
  fail "the static and hot builds differ: $(diff "$scratch/static.out" "$scratch/hot.out" | head -n 5)"
[[ ! -s "$scratch/static.err" ]] || fail "the static app wrote to stderr: $(head -n 3 "$scratch/static.err")"
grep -q '^hotcc: update: loaded v1 from '"$elsewhere/modules/libupdate.so" "$scratch/hot.err" ||
  fail "no load line for update: $(cat "$scratch/hot.err")"
grep -q '^hotcc: view: loaded v1 from ' "$scratch/hot.err" || fail "no load line for view"
grep -v -q '^hotcc: ' "$scratch/hot.err" && fail "a stderr line without the hotcc: prefix: $(grep -v '^hotcc: ' "$scratch/hot.err" | head -n 1)"
"$static_app" --seed=8 --ticks=5 --tick_ms=0 | cmp -s - "$scratch/static.out" &&
  fail "a different seed printed the same lines"

# A signal ends either build cleanly, and the hot one removes its private directory.
for signal in TERM INT; do
  for app in "$static_app" "$elsewhere/app_hot --hot_dir=$elsewhere/modules"; do
    rm -f "$scratch/signal.out"  # Wait below for this run's first line, not the last run's.
    $app --tick_ms=20 >"$scratch/signal.out" 2>"$scratch/signal.err" &
    pid=$!
    for _ in $(seq 1 100); do [[ -s "$scratch/signal.out" ]] && break; sleep 0.05; done
    kill "-$signal" "$pid"
    status=0
    wait "$pid" || status=$?
    [[ $status -eq 0 ]] || fail "SIG$signal: $app exited with $status"
  done
done
leftovers="$(ls -A "$TMPDIR")"
[[ -z "$leftovers" ]] || fail "temporary files left behind: $leftovers"

rm -rf "$scratch"
echo "app_test: $((failures == 0 ? 1 : 0)) passed, $failures failed"
[[ $failures -eq 0 ]]
