#!/usr/bin/env bash
# test-postgres.sh — a throwaway PostgreSQL cluster for Mimo's tests.
#
#   scripts/test-postgres.sh start   start it (if not running) and print its URL
#   scripts/test-postgres.sh url     print the URL of the running cluster
#   scripts/test-postgres.sh stop    stop it and remove its directory
#
# The cluster listens on 127.0.0.1 only, with trust authentication, on port
# $PGPORT (default 55432). Its data lives in a temporary directory that `stop`
# removes. Every command is idempotent. PostgreSQL refuses to run as root, so
# when run as root the server runs as the `postgres` OS user.
#
# Typical use:
#   export MIMO_TEST_POSTGRES_URL="$(scripts/test-postgres.sh start)"
#   go test ./system/postgres/...
#   scripts/test-postgres.sh stop
set -euo pipefail

port="${PGPORT:-55432}"
case "$port" in
'' | *[!0-9]*)
	echo "test-postgres: PGPORT must be a port number, got '$port'" >&2
	exit 2
	;;
esac
base="${TMPDIR:-/tmp}"
dir="$base/mimo-test-postgres.$port"
data="$dir/data"
url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

die() {
	echo "test-postgres: $*" >&2
	exit 1
}

# bindir finds the server binaries: pg_config's bindir when it has them, else
# the newest /usr/lib/postgresql/*/bin.
bindir() {
	local d
	if command -v pg_config >/dev/null 2>&1; then
		d="$(pg_config --bindir 2>/dev/null || true)"
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return
		fi
	fi
	d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		echo "$d"
		return
	fi
	die "PostgreSQL server binaries not found (on Debian: apt-get install -y postgresql)"
}

# Root drops to the postgres user; anyone else runs the server as themselves.
if [ "$(id -u)" -eq 0 ]; then
	owner=postgres
	id "$owner" >/dev/null 2>&1 || die "running as root needs a 'postgres' OS user (apt-get install -y postgresql creates it)"
	as_owner() { runuser -u "$owner" -- "$@"; }
else
	owner="$(id -un)"
	as_owner() { "$@"; }
fi

bin="$(bindir)"

ready() {
	"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres
}

running() {
	[ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# wait_ready polls until the server accepts connections, for at most 60 s.
wait_ready() {
	local _
	for _ in $(seq 1 600); do
		if ready; then
			return 0
		fi
		if ! running; then
			cat "$dir/server.log" >&2 2>/dev/null || true
			die "the server exited during start-up (log above)"
		fi
		sleep 0.1
	done
	cat "$dir/server.log" >&2 2>/dev/null || true
	die "the server did not accept connections within 60 s (log above)"
}

start() {
	if running; then
		wait_ready
		echo "$url"
		return
	fi
	if ready; then
		die "port $port is already in use by another server; set PGPORT to a free port"
	fi
	# A directory left by a crashed run is stale: start afresh.
	rm -rf "$dir"
	mkdir -m 0700 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$owner": "$dir"
	fi
	as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
		--locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 ||
		{
			cat "$dir/initdb.log" >&2
			die "initdb failed (log above)"
		}
	as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF

# test-postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = on
max_connections = 200
log_min_messages = warning
EOF
	# Trust over TCP from 127.0.0.1 only; no Unix socket, no other address.
	as_owner tee "$data/pg_hba.conf" >/dev/null <<EOF
host all all 127.0.0.1/32 trust
EOF
	if ! as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
		cat "$dir/server.log" >&2 2>/dev/null || true
		die "the server did not start (log above)"
	fi
	wait_ready
	echo "$url"
}

stop() {
	if running; then
		as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
	fi
	rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url)
	if ! running || ! ready; then
		die "no test cluster is running on port $port (run: $0 start)"
	fi
	echo "$url"
	;;
*)
	echo "usage: $0 start|stop|url" >&2
	exit 2
	;;
esac
