#!/usr/bin/env bash
# --config=remote_cache against a real HTTP cache: tools/remote_cache_server.sh's nginx on a free
# loopback port, empty at the start, and two checkouts, A (a temporary copy of this workspace)
# and B (a copy of A's sources in another directory, so with an output base of its own):
#   1. A builds //... with the cache: every action executes, and its result is uploaded;
#   2. B builds //... and executes almost nothing: at least 95% of the actions A executed are
#      remote cache hits (each one a GET that nginx answered), at most 2 run locally;
#   3. a hot module edited and rebuilt in A (bazel build //libs/view:libview.so) comes to B with
#      the same edit from the cache: its compile and link are hits, and B's libview.so is A's,
#      byte for byte, with the edit in it;
#   4. tools/remote_cache_server.sh stop ends nginx;
#   5. with the cache down, a build still succeeds, executing locally, with a warning.
# Prints each build's time and counts. Cleans up after itself (nginx, both checkouts' Bazel
# servers and output trees, the copies, the cache) even when it fails.
#   tools/remote_cache_test.sh     (tools/test.sh runs it)
#
# Both checkouts build with --disk_cache= (none), overriding the shared disk cache that
# .bazelrc.deps configures, for two reasons seen with Bazel 4.2.3: it reports a disk cache hit
# as "remote cache hit" too, so B's hits would not show that anything came over HTTP; and a
# disk cache hit is neither fetched from nor uploaded to the remote cache, so A, finding its
# actions in a disk cache filled by earlier builds on this machine, would leave nginx empty.
e2e_name=remote-cache
# Checkout B sits beside the copy (A), in the same scratch directory: e2e_lib.sh stops its Bazel
# server and frees its output tree too.
e2e_bazel_workspaces=". ../clone_b"
# shellcheck source=tools/e2e_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_lib.sh"

started_at=$SECONDS
clone_a="$copy"
clone_b="$work/clone_b"
cache_dir="$work/remote-cache"
server="$copy/tools/remote_cache_server.sh"

# Checkout B: A's sources, set up for its own path (.bazelrc.deps names tools/offline/ in it).
mkdir -p "$clone_b"
cp -a "$clone_a/." "$clone_b"
rm -f "$clone_b"/bazel-*
(cd "$clone_b" && bash tools/setup.sh)

# A free loopback port: the kernel picks one for a socket that is closed at once.
port="$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"
"$server" start --dir="$cache_dir" --port="$port"
nginx_pid="$(cat "$cache_dir/nginx.pid")"
# nginx's master leads a process group of its own (it detaches with setsid), its workers in it:
# e2e_lib.sh ends that group if the test fails before step 4 stops it.
e2e_groups+=("$nginx_pid")
access_log="$cache_dir/access.log"

readonly cache_flags=(
  --config=remote_cache
  --remote_cache="http://127.0.0.1:$port"
  --disk_cache=  # see the top of this file
  --noshow_progress
)

# cache_build CHECKOUT LOG TARGET...: bazel build with the test's cache in CHECKOUT, its output
# in LOG (shown on failure). Sets build_seconds, and from Bazel's summary line ("INFO: 803
# processes: 361 remote cache hit, 442 internal.") hits and executed: the processes that were
# neither a cache hit nor internal to Bazel (symlinks, runfiles trees), that is, that ran here
# (linux-sandbox, local, ...).
cache_build() {
  local checkout="$1" log_file="$2"
  shift 2
  local started=$SECONDS summary total internal
  e2e_logs+=("$log_file")
  (cd "$checkout" && bazel build "${cache_flags[@]}" "$@" >"$log_file" 2>&1) ||
    fail "bazel build $* failed in $(basename "$checkout")"
  build_seconds=$((SECONDS - started))
  summary="$(grep -E '^INFO: [0-9]+ process(es)?[.:]' "$log_file" | tail -n 1)"
  [[ -n "$summary" ]] || fail "bazel build $* printed no process summary"
  total="$(grep -o -E '^INFO: [0-9]+' <<<"$summary" | grep -o -E '[0-9]+')"
  # A kind of process that did not occur is left out of the line.
  hits="$(grep -o -E '[0-9]+ remote cache hit' <<<"$summary" | cut -d' ' -f1 || true)"
  internal="$(grep -o -E '[0-9]+ internal' <<<"$summary" | cut -d' ' -f1 || true)"
  hits="${hits:-0}"
  executed=$((total - hits - ${internal:-0}))
}

# Lines nginx has logged so far, and the cache hits it served after line $1: an action cache
# entry found (each hit is one; its outputs are then GETs under /cas/).
log_lines() { wc -l <"$access_log"; }
ac_hits_since() {
  tail -n "+$(($1 + 1))" "$access_log" | grep -c -E '"GET /ac/[0-9a-f]+ HTTP/[0-9.]+" 200 ' || true
}

# 1. A fills the empty cache.
cache_build "$clone_a" "$work/a_all.log" //...
a_executed=$executed
[[ $hits -eq 0 && $a_executed -gt 0 ]] ||
  fail "A, the first build, had $hits cache hits and executed $a_executed actions"
ac_entries="$(find "$cache_dir/store/ac" -type f | wc -l)"
[[ $ac_entries -ge $a_executed ]] ||
  fail "A executed $a_executed actions, but the cache holds $ac_entries action results"
ok "A: bazel build //... executed $a_executed actions in ${build_seconds}s and uploaded each" \
  "($ac_entries action results, $(du -sh "$cache_dir/store" | cut -f1) in the cache)"

# 2. B, a fresh checkout, takes A's results.
before="$(log_lines)"
cache_build "$clone_b" "$work/b_all.log" //...
served="$(ac_hits_since "$before")"
log "B: $hits remote cache hits, $executed executed, nginx served $served action results"
[[ $((hits * 100)) -ge $((a_executed * 95)) ]] ||
  fail "B had $hits remote cache hits for the $a_executed actions A executed (95% expected)"
[[ $executed -le 2 ]] || fail "B executed $executed actions; at most 2 expected"
[[ $served -ge $hits ]] || fail "B had $hits remote cache hits, but nginx served $served"
ok "B: bazel build //... in ${build_seconds}s: $hits of A's $a_executed actions were remote" \
  "cache hits, $executed executed"

# 3. A hot module rebuilt in A is fetched by B.
so=bazel-bin/libs/view/libview.so
cp "$clone_b/$so" "$work/libview_before.so"
replace libs/view/view.cc '"tick "' '"team tick "'
cache_build "$clone_a" "$work/a_view.log" //libs/view:libview.so
[[ $hits -eq 0 && $executed -ge 2 ]] ||
  fail "A's rebuild of the edited libview.so had $hits hits and executed $executed actions"
log "A: the edited libview.so built in ${build_seconds}s, $executed actions executed"
replace ../clone_b/libs/view/view.cc '"tick "' '"team tick "'
before="$(log_lines)"
cache_build "$clone_b" "$work/b_view.log" //libs/view:libview.so
served="$(ac_hits_since "$before")"
[[ $hits -ge 2 && $executed -eq 0 && $served -ge $hits ]] ||
  fail "B's build of the edited libview.so had $hits hits ($served served), executed $executed"
cmp "$clone_a/$so" "$clone_b/$so" >&2 || fail "A's and B's libview.so differ"
grep -q -a -F 'team tick ' "$clone_b/$so" || fail "B's libview.so does not have the edit"
if cmp -s "$work/libview_before.so" "$clone_b/$so"; then fail "B's libview.so did not change"; fi
ok "the edited libview.so: built in A, in B $hits remote cache hits, 0 executed" \
  "(${build_seconds}s), the same bytes as A's"

# 4. The server stops.
"$server" stop --dir="$cache_dir"
if kill -0 "$nginx_pid" 2>/dev/null; then fail "nginx (pid $nginx_pid) still runs after stop"; fi
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then fail "port $port still answers"; fi
ok "tools/remote_cache_server.sh stop ends nginx"

# 5. A cache that is down costs a warning, not the build.
replace libs/view/view.cc '"team tick "' '"solo tick "'
cache_build "$clone_a" "$work/a_down.log" //libs/view:libview.so
[[ $executed -ge 2 ]] || fail "with the cache down, A executed $executed actions"
grep -q -F 'WARNING: Writing to Remote Cache' "$work/a_down.log" ||
  fail "with the cache down, Bazel did not warn"
ok "with the cache down, the edited libview.so builds locally with a warning"

log "$((SECONDS - started_at))s after the copy"
echo "$e2e_name: $passed passed, 0 failed"
