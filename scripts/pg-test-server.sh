#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests: initdb in a temp dir, listening on 127.0.0.1 at
# a free random port, its unix socket in the same temp dir, fsync on (the tests are about
# durability). Run as root (CI), the server runs as the `postgres` user, which owns the dir.
#
#   pg-test-server.sh start STATE_DIR     starts it; writes STATE_DIR/url (postgresql://...)
#   pg-test-server.sh stop STATE_DIR      stops it and removes its data
#   pg-test-server.sh restart STATE_DIR   restarts it (fast shutdown) on the same port and data
#   pg-test-server.sh pause STATE_DIR     stops it, keeping its data; `resume` starts it again
#   pg-test-server.sh createdb STATE_DIR NAME   (re)creates database NAME; prints its URL
#
# STATE_DIR holds url, port, script (this script's path) and datadir (a pointer to the temp
# dir); ctest keeps it in the build dir.
set -euo pipefail

command_name=${1:-}
state_dir=${2:-}
if [ -z "$command_name" ] || [ -z "$state_dir" ]; then
  echo "usage: $0 start|stop|restart|createdb STATE_DIR [NAME]" >&2
  exit 2
fi

state_dir=$(realpath -m "$state_dir")
self=$(realpath "$0")
# The server user may not be allowed into the caller's directory (a checkout under /root).
cd /

pg_bin=${LEDGERFLOW_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$pg_bin/postgres" ]; then
  echo "pg-test-server: no PostgreSQL 15 in $pg_bin; run scripts/install-deps.sh" >&2
  exit 1
fi

# PostgreSQL refuses to run as root: hand the server to the postgres user then.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

psql_admin() {
  PGOPTIONS="-c client_min_messages=warning" \
  "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$(cat "$state_dir/url")" "$@"
}

stop_server() {
  [ -f "$state_dir/datadir" ] || return 0
  local data_root
  data_root=$(cat "$state_dir/datadir")
  if [ -d "$data_root/data" ]; then
    as_server_user "$pg_bin/pg_ctl" -D "$data_root/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data_root"
  rm -f "$state_dir/datadir" "$state_dir/url" "$state_dir/port" "$state_dir/script"
}

start_server() {
  mkdir -p "$state_dir"
  stop_server  # a server a crashed run left behind
  local data_root
  data_root=$(mktemp -d "${TMPDIR:-/tmp}/ledgerflow-pg.XXXXXX")
  echo "$data_root" > "$state_dir/datadir"
  chmod 755 "$data_root"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data_root"
  as_server_user "$pg_bin/initdb" -D "$data_root/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$data_root/initdb.log" 2>&1 || { cat "$data_root/initdb.log" >&2; exit 1; }
  # A random port can be taken between choosing it and binding it: try a few.
  for attempt in 1 2 3 4 5; do
    local port
    port=$(free_port)
    if as_server_user "$pg_bin/pg_ctl" -D "$data_root/data" -l "$data_root/server.log" -w -t 30 start -o \
         "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$data_root -c fsync=on \
          -c synchronous_commit=on -c full_page_writes=on -c max_connections=300 -c shared_buffers=128MB" \
         >/dev/null 2>&1; then
      echo "$port" > "$state_dir/port"
      echo "postgresql://postgres@127.0.0.1:$port/postgres" > "$state_dir/url"
      echo "$self" > "$state_dir/script"  # for tests that restart the server
      echo "pg-test-server: PostgreSQL on 127.0.0.1:$port (data in $data_root)"
      return 0
    fi
    echo "pg-test-server: start on port $port failed (attempt $attempt)" >&2
  done
  cat "$data_root/server.log" >&2 || true
  exit 1
}

case "$command_name" in
  start) start_server ;;
  stop) stop_server ;;
  restart)
    as_server_user "$pg_bin/pg_ctl" -D "$(cat "$state_dir/datadir")/data" -m fast -w -t 30 restart >/dev/null
    ;;
  pause)   # stops the server but keeps its data, for tests of a lost connection
    as_server_user "$pg_bin/pg_ctl" -D "$(cat "$state_dir/datadir")/data" -m fast -w -t 30 stop >/dev/null
    ;;
  resume)  # starts a paused server again, on the same port
    data_root=$(cat "$state_dir/datadir")
    as_server_user "$pg_bin/pg_ctl" -D "$data_root/data" -l "$data_root/server.log" -w -t 30 start -o \
      "-c listen_addresses=127.0.0.1 -p $(cat "$state_dir/port") -c unix_socket_directories=$data_root -c fsync=on \
       -c synchronous_commit=on -c full_page_writes=on -c max_connections=300 -c shared_buffers=128MB" >/dev/null
    ;;
  createdb)
    name=${3:?database name}
    psql_admin -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\""
    echo "postgresql://postgres@127.0.0.1:$(cat "$state_dir/port")/$name"
    ;;
  *) echo "usage: $0 start|stop|restart|pause|resume|createdb STATE_DIR [NAME]" >&2; exit 2 ;;
esac
