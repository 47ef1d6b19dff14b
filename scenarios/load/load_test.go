package load

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	runner "mimo/harness/load"
	"mimo/harness/record"
)

func TestSeedGatePassesAt100VUsOver10000Memories(t *testing.T) {
	rec := record.New(t, "The seed's load_test.js, unchanged, passes against Mimo on Postgres at 100 VUs with 100 ms think time over 10,000 memories: p95 < 500 ms, p99 < 1000 ms, errors < 1%, and its request count equals Mimo's")
	env := startGate(t, rec)
	g := runGate(t, env, rec, "seed.js", duration(t, envDuration))

	assert.Equal(t, runner.ExitOK, g.res.ExitCode(), "every threshold of the seed's script holds")
	assert.Less(t, g.num(t, "http_req_duration", "p(95)"), 500.0)
	assert.Less(t, g.num(t, "http_req_duration", "p(99)"), 1000.0)
	assert.Less(t, g.num(t, "http_req_failed", "value"), 0.01)
	assert.Equal(t, 1.0, g.num(t, "checks", "value"), "every answer was 200")
	g.assertCountersAgree(t, env, rec)
}

func TestTenPercentBackendFaultsKeepClientErrorsUnderOnePercent(t *testing.T) {
	rec := record.New(t, "With 10% of Mimo's backend calls failing (one Postgres connection in ten reset, one LLM call in ten failed), the seed's gate at 100 VUs keeps client errors under 1%, and its request count equals Mimo's")
	env := startGate(t, rec)
	ctx := context.Background()
	before, err := env.Standin().Counters(ctx)
	require.NoError(t, err)
	g := runGate(t, env, rec, "faults.js", duration(t, envDuration))

	after, err := env.Standin().Counters(ctx)
	require.NoError(t, err)
	failedLLM := after.Injected.Fail - before.Injected.Fail
	rec.Measure("llm_calls_failed", float64(failedLLM), "count")
	rec.Measure("exit_code", float64(g.res.ExitCode()), "count")
	assert.Positive(t, failedLLM, "the stand-in failed model calls during the run: the fault profile was on")
	rate := g.num(t, "http_req_failed", "value")
	rec.Measure("client_error_rate", rate, "ratio")
	assert.Less(t, rate, 0.01, "client errors under 1% with 10% of backend calls failing")
	g.assertCountersAgree(t, env, rec)
}

// Memory bounds: Mimo's resident memory after warm-up (the first quarter of the run) may
// grow by at most maxGrowth, and never pass maxRSS (the promise at 100,000 memories).
const (
	maxGrowth = 0.25
	maxRSS    = 500 << 20
)

func TestResidentMemoryStaysFlatUnderTheGate(t *testing.T) {
	rec := record.New(t, "Mimo's resident memory stays flat under the seed's gate at 100 VUs: after warm-up it grows by at most 25% and stays under 500 MB")
	env := startGate(t, rec)
	g := runGate(t, env, rec, "seed.js", duration(t, envSoak))

	require.GreaterOrEqual(t, len(g.rss), 8, "enough samples of process_resident_memory_bytes to compare")
	q := len(g.rss) / 4
	warm := slices.Max(g.rss[:q])
	last := slices.Max(g.rss[len(g.rss)-q:])
	growth := (last - warm) / warm
	rec.Measure("rss_after_warmup", warm, "bytes")
	rec.Measure("rss_at_end", last, "bytes")
	rec.Measure("rss_growth", growth, "ratio")
	t.Logf("resident memory: %.0f MiB after warm-up, %.0f MiB at the end (%+.1f%%), %d samples",
		warm/(1<<20), last/(1<<20), growth*100, len(g.rss))
	assert.LessOrEqual(t, growth, maxGrowth, "resident memory after warm-up %.0f MiB, at the end %.0f MiB", warm/(1<<20), last/(1<<20))
	assert.Less(t, slices.Max(g.rss), float64(maxRSS))
	g.assertCountersAgree(t, env, rec)
}
