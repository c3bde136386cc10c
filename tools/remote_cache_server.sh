#!/usr/bin/env bash
# An HTTP remote cache for Bazel (`--config=remote_cache`, README.md "A shared build cache"):
# Debian's nginx serving a directory, reads with GET and writes with WebDAV PUT, which is the
# whole protocol of `--remote_cache=http://...` (GET/PUT of /ac/<sha256> and /cas/<sha256>).
#   tools/remote_cache_server.sh start [--dir=DIR] [--address=ADDR] [--port=PORT]
#   tools/remote_cache_server.sh stop  [--dir=DIR]
#   tools/remote_cache_server.sh run   [--dir=DIR] [--address=ADDR] [--port=PORT]
# start runs nginx in the background and returns once it listens; stop ends it; run keeps it in
# the foreground (for a service manager, such as a systemd unit). Defaults: DIR is
# ~/.cache/hotcc/remote-cache (as tools/setup.sh's HOTCC_CACHE), ADDR 127.0.0.1, PORT 8480,
# the URL that .bazelrc's --config=remote_cache points at.
#
# Everything lives in DIR and nginx runs as the calling user, without root and without touching
# /etc/nginx or /var: DIR/nginx.conf (written at each start from the options), DIR/store/ (the
# cache entries), DIR/tmp/ (request bodies; on the store's file system, so that a finished
# upload is renamed into place and a reader never sees half an entry), DIR/nginx.pid,
# DIR/error.log, DIR/access.log. nginx never evicts: the store grows until it is pruned (README).
# There is no authentication: whoever reaches ADDR:PORT may read and write every entry, and
# every build that uses the cache trusts what it reads. Serve a team only on a network it trusts.
set -euo pipefail

readonly NGINX=/usr/sbin/nginx  # not on a non-root user's PATH on Debian
dir="${HOTCC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hotcc}/remote-cache"
address=127.0.0.1
port=8480

say() { echo "remote cache: $*" >&2; }
die() { say "error: $*"; exit 1; }

# The PID in DIR/nginx.pid if that process is still an nginx, else nothing.
running_pid() {
  local pid
  pid="$(cat "$dir/nginx.pid" 2>/dev/null || true)"
  [[ -n "$pid" && "$(ps -p "$pid" -o comm= 2>/dev/null || true)" == nginx ]] && echo "$pid"
  return 0
}

write_config() {
  mkdir -p "$dir/store" "$dir/tmp"
  # As root, nginx would run its workers as "nobody", who cannot write to DIR. Anyone else's
  # workers run as that user, and nginx warns about a "user" line, so none is written then.
  local user_line=""
  [[ $(id -u) -eq 0 ]] && user_line="user root $(id -gn);"
  # Each path is quoted for nginx, so that DIR may hold spaces.
  cat >"$dir/nginx.conf" <<EOF
# Written by tools/remote_cache_server.sh at each start; edits here are lost.
$user_line
worker_processes auto;
pid "$dir/nginx.pid";
error_log "$dir/error.log" warn;
events {
  # Bazel opens up to --remote_max_connections (100) connections per build.
  worker_connections 1024;
}
http {
  access_log "$dir/access.log";
  # nginx creates a temporary directory for each of these at startup, compiled-in under /var
  # by default; only the first is used.
  client_body_temp_path "$dir/tmp/body";
  proxy_temp_path "$dir/tmp/proxy";
  fastcgi_temp_path "$dir/tmp/fastcgi";
  uwsgi_temp_path "$dir/tmp/uwsgi";
  scgi_temp_path "$dir/tmp/scgi";
  default_type application/octet-stream;
  sendfile on;
  server {
    listen $address:$port;
    root "$dir/store";
    # Every cache miss is a GET of a missing file: a 404 for Bazel, not an error to log.
    log_not_found off;
    # PUT only: Bazel's HTTP cache never deletes, copies or moves an entry, so nothing else is
    # offered. /ac/ and /cas/ are created by the first upload into them.
    dav_methods PUT;
    create_full_put_path on;
    dav_access user:rw;
    # No size limit: a linked test binary or an archive can be hundreds of megabytes.
    client_max_body_size 0;
  }
}
EOF
}

# nginx's options for this DIR; -e sends its startup messages to DIR/error.log too, rather
# than to /var/log/nginx, which only root may write.
nginx_options() {
  nginx_args=(-p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf")
}

check_not_running() {
  local pid
  pid="$(running_pid)"
  [[ -z "$pid" ]] || die "already running in $dir (pid $pid); stop it first"
}

start() {
  check_not_running
  write_config
  # nginx binds its socket before it detaches, so a taken port fails here, and once it has
  # returned, connections are accepted.
  nginx_options
  "$NGINX" "${nginx_args[@]}" || die "nginx did not start; see $dir/error.log"
  say "serving http://$address:$port from $dir/store (pid $(running_pid))"
  say "stop it with: tools/remote_cache_server.sh stop --dir=$dir"
}

stop() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    say "not running in $dir"
    return 0
  fi
  # QUIT lets uploads in flight finish; TERM, after 10 s, does not wait.
  kill -QUIT "$pid"
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
  say "stopped (pid $pid)"
}

run() {
  check_not_running
  write_config
  nginx_options
  exec "$NGINX" "${nginx_args[@]}" -g 'daemon off;'
}

main() {
  local command="${1:-}"
  case "$command" in
    start | stop | run) ;;
    -h | --help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
    *) die "usage: start|stop|run [--dir=DIR] [--address=ADDR] [--port=PORT] (or --help)" ;;
  esac
  [[ $# -gt 0 ]] && shift
  local arg
  for arg in "$@"; do
    case "$arg" in
      --dir=*) dir="${arg#--dir=}" ;;
      --address=*) address="${arg#--address=}" ;;
      --port=*) port="${arg#--port=}" ;;
      *) die "unknown argument: $arg (see the top of tools/remote_cache_server.sh)" ;;
    esac
  done
  [[ -x "$NGINX" ]] || die "no $NGINX; tools/setup.sh installs it"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  "$command"
}

main "$@"
