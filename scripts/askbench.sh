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
# a repeated one.
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
url="http://127.0.0.1:$mimo_port"
# Ready, and the indexes loaded: /health says ok only once they are.
for _ in $(seq 600); do
	if curl -fsS "$url/health" 2>/dev/null | grep -q '"status":"ok"'; then break; fi
	sleep 0.1
done
curl -fsS "$url/health" | grep -q '"status":"ok"' || { echo "askbench: mimo never became healthy" >&2; cat "$work/mimo.log" >&2; exit 1; }

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
response = function(status, headers, body)
  if status ~= 200 then io.stderr:write("status " .. status .. "\n") end
end
if think > 0 then
  delay = function() return think end
end
LUA

echo "== closed loop, 100 connections, $memories memories; load average $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t2 -c100 -d"$duration" --latency -s "$work/ask.lua" "$url/"
echo "== 100 connections each waiting 100 ms between answers; load average $(cut -d' ' -f1-3 /proc/loadavg)"
ASK_THINK_MS=100 wrk -t2 -c100 -d"$duration" --latency -s "$work/ask.lua" "$url/"
echo "== load average after $(cut -d' ' -f1-3 /proc/loadavg)"
