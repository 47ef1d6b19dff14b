#!/usr/bin/env bash
# bench.sh — `make bench`: the figures the project promises (issue 12, SPEC
# "Numbers the project promises"), measured side by side on SQLite and
# Postgres at each size, and written into docs/BENCHMARKS.md.
#
#   scripts/bench.sh [mimobench flags…]
#
# Builds mimo (make build) and mimobench, then runs mimobench per store and
# size: batch ingest (one client, batches of 1,000), searches (4 closed-loop
# clients), a restart (start-up, resident memory), /api/ask under wrk (100
# connections, closed loop and with 100 ms think time, the harness's stand-in
# as the LLM) and, on SQLite, the ratios of Mimo's search to the plain FTS5
# query and to an exact vector scan over the same queries. Each run writes
# bench/out/<store>-<size>.json and .txt; then `mimobench table` prints the
# promised figures of every run with PASS/FAIL and rewrites the block between
# <!-- bench:begin --> and <!-- bench:end --> in docs/BENCHMARKS.md.
#
# Settings:
#   MIMO_BENCH_SIZES         sizes, default "10000 100000"; 10k, 100k and 1M
#                            are understood ("10k 100k 1M" adds a run of a
#                            million memories, which takes about half an hour)
#   MIMO_BENCH_POSTGRES_URL  a Postgres server the script may create and drop
#                            databases on; "auto" (the default) starts a
#                            throwaway one with scripts/test-postgres.sh (on
#                            $PGPORT, default 55432); "off" skips Postgres
#   MIMO_BENCH_ASK_DURATION  length of each wrk run, default 20s
#   MIMO_BENCH_DOC           the document to rewrite, default
#                            docs/BENCHMARKS.md; "off" only prints the table
# Extra arguments are passed to every mimobench run (e.g. --searches 5000).
# wrk is required (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes_setting="${MIMO_BENCH_SIZES:-10000 100000}"
out=bench/out
pg_admin="${MIMO_BENCH_POSTGRES_URL:-auto}"
ask_duration="${MIMO_BENCH_ASK_DURATION:-20s}"
doc="${MIMO_BENCH_DOC:-docs/BENCHMARKS.md}"

die() {
	echo "bench: $*" >&2
	exit 1
}

sizes=()
for n in $sizes_setting; do
	case "$n" in
	*[kK]) n="${n%?}000" ;;
	*[mM]) n="${n%?}000000" ;;
	esac
	case "$n" in
	'' | *[!0-9]*) die "MIMO_BENCH_SIZES must be whole numbers (or 10k, 1M), got '$n'" ;;
	esac
	sizes+=("$n")
done
command -v wrk >/dev/null || die "wrk is needed for the /api/ask figures (apt-get install wrk)"

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

reports=()
failed=0
# bench STORE SIZE [mimobench flags…] runs one benchmark into $out; a run
# that fails still leaves its report of what it measured.
bench() {
	local store="$1" n="$2"
	shift 2
	echo "bench: $store, $n memories; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	rm -f "$out/$store-$n.json"
	local status=0
	"$work/mimobench" --mimo bin/mimo --memories "$n" --batch-size 1000 --ingest-concurrency 1 \
		--search-concurrency 4 --ask-duration "$ask_duration" --json "$out/$store-$n.json" "$@" |
		tee "$out/$store-$n.txt" || status=$?
	[[ -f "$out/$store-$n.json" ]] && reports+=("$out/$store-$n.json")
	if [[ "$status" -ne 0 ]]; then
		echo "bench: the $store run at $n memories failed" >&2
		failed=1
	fi
}

for n in "${sizes[@]}"; do
	bench sqlite "$n" --ratios "$@"
done

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

if [[ "$pg_admin" == off ]]; then
	echo "bench: MIMO_BENCH_POSTGRES_URL=off; skipping Postgres" >&2
else
	if [[ "$pg_admin" == auto ]]; then
		# A cluster someone else started on that port is used, not stopped.
		if ! ./scripts/test-postgres.sh url >/dev/null 2>&1; then
			started_pg=1
		fi
		pg_admin="$(./scripts/test-postgres.sh start)" ||
			die "could not start a throwaway Postgres (its binaries are needed; or set MIMO_BENCH_POSTGRES_URL, or =off)"
	fi
	command -v psql >/dev/null || die "psql is needed to create the benchmark databases (apt-get install postgresql-client)"
	for n in "${sizes[@]}"; do
		db="mimo_bench_${n}_$$"
		psql "$pg_admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db" >/dev/null
		bench postgres "$n" --database-url "$(db_url "$pg_admin" "$db")" "$@"
		psql "$pg_admin" -v ON_ERROR_STOP=1 -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null ||
			echo "bench: could not drop database $db" >&2
	done
fi

[[ "${#reports[@]}" -gt 0 ]] || die "no run left a report"
command="MIMO_BENCH_SIZES=\"$sizes_setting\""
[[ "${MIMO_BENCH_POSTGRES_URL:-auto}" == off ]] && command+=" MIMO_BENCH_POSTGRES_URL=off"
command+=" make bench"
[[ $# -gt 0 ]] && command+=" # mimobench $*"
table=("$work/mimobench" table --command "$command")
[[ "$doc" != off ]] && table+=(--doc "$doc")
echo
"${table[@]}" "${reports[@]}" | tee "$out/table.md"
exit "$failed"
