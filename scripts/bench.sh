#!/usr/bin/env bash
# bench.sh — the benchmark runs docs/BENCHMARKS.md reports.
#
#   scripts/bench.sh [mimobench flags…]
#
# Builds mimo (make build) and mimobench, then runs mimobench on SQLite at each
# size in MIMO_BENCH_SIZES (default "10000 100000") and, when
# MIMO_BENCH_POSTGRES_URL is set, on Postgres at the same sizes. Each run writes
# bench/out/<store>-<size>.json and its table to bench/out/<store>-<size>.txt.
# Extra arguments are passed to every mimobench run (e.g. --searches 5000).
#
# MIMO_BENCH_POSTGRES_URL names a Postgres server the script may create and
# drop databases on (for example postgres://postgres@127.0.0.1:55432/postgres);
# every run gets a fresh database, dropped afterwards. Set it to "auto" to start
# a throwaway server with scripts/test-postgres.sh for the duration (on
# $PGPORT, default 55432):
#
#   MIMO_BENCH_POSTGRES_URL=auto scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${MIMO_BENCH_SIZES:-10000 100000}"
out=bench/out
pg_admin="${MIMO_BENCH_POSTGRES_URL:-}"

die() {
	echo "bench: $*" >&2
	exit 1
}

for n in $sizes; do
	case "$n" in
	'' | *[!0-9]*) die "MIMO_BENCH_SIZES must be whole numbers, got '$n'" ;;
	esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/mimo-bench.XXXXXX")"
started_pg=""
cleanup() {
	if [[ -n "$started_pg" ]]; then
		./scripts/test-postgres.sh stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

make build
go build -o "$work/mimobench" ./harness/cmd/mimobench
mkdir -p "$out"

# bench STORE SIZE [mimobench flags…] runs one benchmark into $out.
bench() {
	local store="$1" n="$2"
	shift 2
	echo "bench: $store, $n memories" >&2
	"$work/mimobench" --mimo bin/mimo --memories "$n" --json "$out/$store-$n.json" "$@" |
		tee "$out/$store-$n.txt"
}

for n in $sizes; do
	bench sqlite "$n" "$@"
done

if [[ -z "$pg_admin" ]]; then
	echo "bench: MIMO_BENCH_POSTGRES_URL is unset; skipping Postgres (set it to a server URL, or to auto)" >&2
	exit 0
fi
if [[ "$pg_admin" == auto ]]; then
	[[ -x scripts/test-postgres.sh ]] || die "MIMO_BENCH_POSTGRES_URL=auto needs scripts/test-postgres.sh"
	# A cluster someone else started on that port is used, not stopped.
	if ! ./scripts/test-postgres.sh url >/dev/null 2>&1; then
		started_pg=1
	fi
	pg_admin="$(./scripts/test-postgres.sh start)"
fi
command -v psql >/dev/null || die "psql is needed to create the benchmark databases (apt-get install postgresql-client)"

# db_url URL NAME is URL with its database replaced by NAME, query kept.
db_url() {
	local url="$1" name="$2" base query=""
	base="${url%%\?*}"
	if [[ "$base" != "$url" ]]; then
		query="?${url#*\?}"
	fi
	local rest="${base#*://}"
	if [[ "$rest" == */* ]]; then
		base="${base%/*}"
	fi
	echo "$base/$name$query"
}

for n in $sizes; do
	db="mimo_bench_${n}_$$"
	psql "$pg_admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db" >/dev/null
	status=0
	bench postgres "$n" --database-url "$(db_url "$pg_admin" "$db")" "$@" || status=$?
	psql "$pg_admin" -v ON_ERROR_STOP=1 -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null ||
		echo "bench: could not drop database $db" >&2
	[[ "$status" -eq 0 ]] || die "the Postgres run at $n memories failed"
done
