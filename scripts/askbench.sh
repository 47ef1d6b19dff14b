#!/usr/bin/env bash
# askbench.sh — /api/ask under wrk, as docs/BENCHMARKS.md ("Asking") reports.
#
#   scripts/askbench.sh [DURATION]
#
# Seeds MIMO_BENCH_ASK_MEMORIES memories (default 10000) with mimobench into a
# fresh SQLite data directory (or the empty Postgres database named by
# MIMO_BENCH_DATABASE_URL), serves it with `mimo serve` and the harness's
# stand-in as an OpenAI-compatible LLM answering at once, then runs wrk (2
# threads, 100 connections, DURATION, default 20s) twice against POST /api/ask:
# closed loop (no think time), and with each connection waiting 100 ms between
# answers. Questions are "who owns the <team> <project> work?" over the
# corpus's words (routed to memories and the graph). Prints wrk's reports and
# the load average before each run. MIMO_BENCH_MIMO names the mimo binary to
# measure (default: make build's bin/mimo). MIMO_BENCH_ASK_DISTINCT=1 makes
# every question distinct (a number is appended), so that no cache can serve
# a repeated one. MIMO_BENCH_ASK_RUNS names the runs and their order
# (default "closed think"; "think" alone measures think time on a server no
# closed loop has loaded first). After each run it prints how many answers
# were degraded, the CPU time Mimo, the stand-in and wrk used during it (from
# /proc), and Mimo's answers per CPU-second: the three share the cores, so
# answers/s alone understates what Mimo can do.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-20s}"
memories="${MIMO_BENCH_ASK_MEMORIES:-10000}"
command -v wrk >/dev/null || { echo "askbench: wrk is needed (apt-get install wrk)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/mimo-askbench.XXXXXX")"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

mimo="${MIMO_BENCH_MIMO:-}"
if [[ -z "$mimo" ]]; then
	make build >/dev/null
	mimo=bin/mimo
fi
go build -o "$work/mimobench" ./harness/cmd/mimobench
go build -o "$work/standin" ./harness/standin/cmd/standin

seed=(--mimo "$mimo" --memories "$memories" --searches 1 --work-dir "$work/seed" --keep --quiet)
if [[ -n "${MIMO_BENCH_DATABASE_URL:-}" ]]; then
	seed+=(--database-url "$MIMO_BENCH_DATABASE_URL")
fi
"$work/mimobench" "${seed[@]}" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
llm_port="$(free_port)"
mimo_port="$(free_port)"
"$work/standin" --addr "127.0.0.1:$llm_port" >"$work/standin.log" 2>&1 &
pids+=($!)
env MIMO_ADDR="127.0.0.1:$mimo_port" MIMO_DATA_DIR="$work/seed/data" MIMO_RATE_LIMIT=off \
	MIMO_DATABASE_URL="${MIMO_BENCH_DATABASE_URL:-}" \
	MIMO_LLM=openai MIMO_LLM_URL="http://127.0.0.1:$llm_port/v1" MIMO_LLM_MODEL=standin \
	"$mimo" serve >"$work/mimo.log" 2>&1 &
pids+=($!)
mimo_pid=$!
standin_pid=${pids[0]}
url="http://127.0.0.1:$mimo_port"
# Ready, and the indexes loaded: /health's overall status (the first field;
# each component has one too) says ok only once they are.
for _ in $(seq 600); do
	if curl -fsS "$url/health" 2>/dev/null | grep -q '^{"status":"ok"'; then break; fi
	sleep 0.1
done
curl -fsS "$url/health" | grep -q '^{"status":"ok"' || { echo "askbench: mimo never became healthy" >&2; cat "$work/mimo.log" >&2; exit 1; }

cat >"$work/ask.lua" <<'LUA'
local teams = {"platform","infrastructure","payments","billing","growth","search","identity","security","data","analytics","mobile","frontend","backend","reliability","support","onboarding","checkout","catalog","inventory","logistics"}
local projects = {"atlas","beacon","cobalt","delta","ember","falcon","granite","harbor","iris","juniper","kestrel","lumen","meridian","nimbus","onyx","pioneer","quartz","raven","sable","tundra"}
local think = tonumber(os.getenv("ASK_THINK_MS") or "0")
local distinct = os.getenv("MIMO_BENCH_ASK_DISTINCT") == "1"
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local q = "who owns the " .. teams[math.random(#teams)] .. " " .. projects[math.random(#projects)] .. " work"
  if distinct then
    n = n + 1
    q = q .. " " .. n .. "x" .. math.random(1000000000)
  end
  q = q .. "?"
  return wrk.format(nil, "/api/ask", nil, '{"query":"' .. q .. '"}')
end
-- Each thread counts, in its global degraded (which done reads through
-- thread:get), the answers that were not the model's, so that a run served
-- by fallbacks is not mistaken for a fast one.
degraded = 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
response = function(status, headers, body)
  if status ~= 200 then io.stderr:write("status " .. status .. "\n") end
  if string.find(body, '"degraded":true', 1, true) then
    degraded = degraded + 1
  end
end
done = function(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (tonumber(t:get("degraded")) or 0) end
  io.write(string.format("degraded answers: %d of %d\n", n, summary.requests))
end
if think > 0 then
  delay = function() return think end
end
LUA

# cpu_ticks PID: the process's user plus system CPU time, in clock ticks
# (fields 14 and 15 of /proc/PID/stat; the command name before them may hold
# spaces, so count from its closing parenthesis).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# measure [ENV=VALUE…]: one wrk run, then the CPU seconds each process used
# during it and Mimo's answers per CPU-second.
measure() {
	local hz m0 s0 m1 s1 out wrk_cpu answers secs
	hz="$(getconf CLK_TCK)"
	m0="$(cpu_ticks "$mimo_pid")"
	s0="$(cpu_ticks "$standin_pid")"
	out="$(env "$@" bash -c 'wrk -t2 -c100 -d"$1" --latency -s "$2" "$3"; echo "wrk_cpu_ticks $(sed "s/.*) //" /proc/$$/stat | awk "{print \$14 + \$15}")"' _ "$duration" "$work/ask.lua" "$url/")"
	m1="$(cpu_ticks "$mimo_pid")"
	s1="$(cpu_ticks "$standin_pid")"
	echo "$out" | grep -v '^wrk_cpu_ticks'
	wrk_cpu="$(echo "$out" | awk '/^wrk_cpu_ticks/ {print $2}')"
	answers="$(echo "$out" | awk '/requests in/ {print $1}')"
	secs="$(echo "$out" | awk '/requests in/ {sub(/s,$/, "", $4); print $4}')"
	awk -v m=$((m1 - m0)) -v s=$((s1 - s0)) -v w="$wrk_cpu" -v hz="$hz" -v n="$answers" -v t="$secs" 'BEGIN {
		printf "CPU during the run: mimo %.1f s (%.2f cores), stand-in %.1f s, wrk %.1f s; mimo: %.0f answers per CPU-second\n",
			m / hz, m / hz / t, s / hz, w / hz, n / (m / hz)
	}'
}

for run in ${MIMO_BENCH_ASK_RUNS:-closed think}; do
	case "$run" in
	closed)
		echo "== closed loop, 100 connections, $memories memories; load average $(cut -d' ' -f1-3 /proc/loadavg)"
		measure
		;;
	think)
		echo "== 100 connections each waiting 100 ms between answers; load average $(cut -d' ' -f1-3 /proc/loadavg)"
		measure ASK_THINK_MS=100
		;;
	*)
		echo "askbench: unknown run $run in MIMO_BENCH_ASK_RUNS (closed, think)" >&2
		exit 2
		;;
	esac
done
echo "== load average after $(cut -d' ' -f1-3 /proc/loadavg)"
