#!/usr/bin/env bash
# smoke.sh — the verification after a deploy or a rollback
# (docs/ROLLBACK_PROCEDURE.md): calls Mimo's critical API once each and
# checks its metrics. It writes one memory in its own namespace and deletes
# it at the end.
#
#   scripts/smoke.sh [URL]        URL defaults to $MIMO_URL, else http://127.0.0.1:4000
#
# Environment: MIMO_API_KEY (sent as the bearer token when set),
# SMOKE_NAMESPACE (default mimo-smoke), SMOKE_WAIT (seconds to wait for
# /health to say ok, default 30).
#
# One line per check on stdout ("ok   …"); the first failure prints
# "smoke: FAIL <check>: <why>" on stderr and exits 1. Exit 0 means every
# check passed. Needs bash and curl.
set -euo pipefail

url=${1:-${MIMO_URL:-http://127.0.0.1:4000}}
url=${url%/}
ns=${SMOKE_NAMESPACE:-mimo-smoke}
wait_s=${SMOKE_WAIT:-30}

fail() {
	printf 'smoke: FAIL %s: %s\n' "$1" "$2" >&2
	exit 1
}
ok() { printf 'ok   %s\n' "$*"; }

command -v curl >/dev/null || fail setup "curl is not installed"
case $wait_s in '' | *[!0-9]*) fail setup "SMOKE_WAIT must be whole seconds, got '$wait_s'" ;; esac

auth=()
[[ -z ${MIMO_API_KEY:-} ]] || auth=(-H "Authorization: Bearer $MIMO_API_KEY")

# call METHOD PATH [BODY [HEADER...]] sets status and body.
call() {
	local method=$1 path=$2 data=${3:-} out h
	local args=(-sS -m 20 -X "$method" -w '\n%{http_code}' "${auth[@]}")
	shift 3 2>/dev/null || shift $#
	for h in "$@"; do args+=(-H "$h"); done
	[[ -z $data ]] || args+=(-H 'Content-Type: application/json' --data-binary "$data")
	if ! out=$(curl "${args[@]}" "$url$path" 2>&1); then
		status=000
		body=${out%$'\n'*}
		return
	fi
	status=${out##*$'\n'}
	body=${out%$'\n'*}
}

# expect CHECK CODE... fails CHECK unless the last call answered one of CODE.
expect() {
	local check=$1 c
	shift
	for c in "$@"; do [[ $status == "$c" ]] && return 0; done
	fail "$check" "HTTP $status (want $*): ${body:0:300}"
}

# The health a rolled-back Mimo reaches once its index has loaded.
deadline=$((SECONDS + wait_s))
while :; do
	call GET /health
	[[ $status == 200 && $body == *'"status":"ok"'* ]] && break
	((SECONDS < deadline)) || fail health "no \"status\":\"ok\" within ${wait_s}s; last HTTP $status: ${body:0:300}"
	sleep 0.5
done
version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$body")
ok "health: ok, version ${version:-unknown}"

call GET /health/ready
expect ready 200
ok "ready"

word="smoke$(date +%s)$RANDOM"
call POST /api/memories "{\"namespace\":\"$ns\",\"content\":\"The smoke test wrote $word after a deploy.\",\"tags\":[\"smoke\"]}"
expect store 201 200
id=$(sed -n 's/^{[^{]*"memory":{"id":"\([^"]*\)".*/\1/p' <<<"$body")
[[ -n $id ]] || fail store "no memory id in ${body:0:300}"
ok "store: $id"

call GET "/api/memories/$id?namespace=$ns"
expect get 200
[[ $body == *"$word"* ]] || fail get "the memory read back lacks its content: ${body:0:300}"
ok "get"

call POST /api/search "{\"namespace\":\"$ns\",\"query\":\"$word\"}"
expect search 200
[[ $body == *"\"$id\""* ]] || fail search "the stored memory is not among the results: ${body:0:300}"
ok "search finds it"

call POST /api/ask "{\"namespace\":\"$ns\",\"query\":\"What did the smoke test write?\"}"
expect ask 200
[[ $body == *'"answer":'* && $body == *"\"$id\""* ]] || fail ask "no answer citing the memory: ${body:0:300}"
ok "ask answers from it"

mcp=('Accept: application/json, text/event-stream')
call POST /mcp '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"mimo-smoke","version":"1"}}}' "${mcp[@]}"
expect "mcp initialize" 200
[[ $body == *'"serverInfo"'* ]] || fail "mcp initialize" "no serverInfo: ${body:0:300}"
call POST /mcp '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}' "${mcp[@]}" 'Mcp-Protocol-Version: 2025-06-18'
expect "mcp tools/list" 200
for tool in memory_store memory_search memory_ask search_nodes; do
	[[ $body == *"\"name\":\"$tool\""* ]] || fail "mcp tools/list" "no tool $tool: ${body:0:300}"
done
ok "mcp: initialize, tools/list"

call GET /metrics
expect metrics 200
for series in 'mimo_build_info{' 'mimo_memories ' 'mimo_circuit_breaker_state{service="db"} 0' \
	'mimo_http_requests_total{code="201",method="POST",route="/api/memories"}' \
	'mimo_http_requests_total{code="200",method="POST",route="/api/search"}'; do
	[[ $body == *"$series"* ]] || fail metrics "no $series in /metrics"
done
ok "metrics: build info, memories, db circuit closed, requests counted"

call DELETE "/api/memories/$id?namespace=$ns"
expect delete 200 204
ok "delete: the smoke memory removed"
echo "smoke: PASS $url"
