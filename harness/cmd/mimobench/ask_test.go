package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wrkReport is wrk 4.1's report of a run with --latency and errors.
const wrkReport = `Running 1s test @ http://127.0.0.1:18099/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.72ms   16.21ms  96.14ms   90.79%
    Req/Sec     1.35k   571.24     2.10k    50.00%
  Latency Distribution
     50%  890.00us
     75%    2.70ms
     90%   18.92ms
     99%    1.20s
  1362 requests in 1.04s, 691.64KB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 13
Requests/sec:   1311.37
Transfer/sec:    665.93KB
`

func TestParseWrkReadsTheDistributionRateAndErrors(t *testing.T) {
	r, err := parseWrk(wrkReport)
	require.NoError(t, err)
	assert.Equal(t, AskResult{Seconds: 1.04, Requests: 1362, PerSecond: 1311.4,
		P50Ms: 0.89, P75Ms: 2.7, P90Ms: 18.92, P99Ms: 1200, Non2xx: 13, SocketErrors: 7}, r)
}

func TestParseWrkRefusesAReportWithoutTheDistribution(t *testing.T) {
	_, err := parseWrk("  10 requests in 1.00s, 1KB read\nRequests/sec:   10.00\n")
	require.ErrorContains(t, err, "--latency")
	_, err = parseWrk("     50%    1ms\n     75%    1ms\n     90%    1ms\n     99%    1ms\n")
	require.ErrorContains(t, err, "Requests/sec")
	_, err = parseWrk("     50%    1.00xs\n")
	require.ErrorContains(t, err, "1.00xs")
}

func TestWrkDurationUnits(t *testing.T) {
	for in, want := range map[string]float64{"250.00us": 0.25, "5.08ms": 5.08, "1.50s": 1500, "2.00m": 120_000, "1.00h": 3_600_000} {
		got, err := wrkDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := wrkDuration("12")
	assert.Error(t, err)
}

func TestAskRunsFailClearlyWithoutWrk(t *testing.T) {
	_, err := checkWrk(filepath.Join(t.TempDir(), "no-wrk-here"))
	require.ErrorContains(t, err, "apt-get install wrk")
	code, _, errOut := runMain("--ask-duration", "1s", "--wrk", filepath.Join(t.TempDir(), "no-wrk-here"), "--mimo", "/bin/true")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "need wrk")
}

// runAsk runs the executable it is given with wrk's arguments and the
// think time in its environment; a fake wrk shows both.
func TestRunAskPassesTheSettingsToWrk(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "wrk")
	argsFile := filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@ think=$ASK_THINK_MS\" > " + argsFile + "\ncat <<'EOF'\n" + wrkReport + "EOF\n"
	require.NoError(t, os.WriteFile(fake, []byte(script), 0o755))
	r, err := runAsk(context.Background(), AskOptions{URL: "http://127.0.0.1:1", Wrk: fake, Script: "ask.lua", ThinkMs: 100})
	require.NoError(t, err)
	assert.Equal(t, 100, r.Connections)
	assert.Equal(t, 100, r.ThinkMs)
	assert.Equal(t, 1311.4, r.PerSecond)
	assert.Len(t, r.LoadBefore, 3)
	args, err := os.ReadFile(argsFile)
	require.NoError(t, err)
	assert.Equal(t, "-t 2 -c 100 -d 20s --timeout 30s --latency -s ask.lua http://127.0.0.1:1/ think=100\n", string(args))
}
