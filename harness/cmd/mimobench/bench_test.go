package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchmarkEndToEnd runs the whole benchmark, small, against the real
// mimo binary built from this module.
func TestBenchmarkEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the mimo binary")
	}
	work := t.TempDir()
	o := Options{
		Memories: 1200, BatchSize: 500, IngestConcurrency: 3,
		Searches: 150, SearchConcurrency: 3, Seed: 42, Namespace: "bench",
		WorkDir: work, StartTimeout: time.Minute, Ratios: true, RatioSearches: 100,
	}
	_, wrkErr := exec.LookPath("wrk")
	if wrkErr == nil {
		o.AskDuration = 2 * time.Second
	}
	rep, err := Run(context.Background(), o)
	require.NoError(t, err)

	assert.Equal(t, "sqlite", rep.Store)
	assert.Equal(t, 3, rep.Ingest.Batches, "two full batches and a partial one")
	assert.EqualValues(t, 1200, rep.Ingest.Created)
	assert.Zero(t, rep.Ingest.Failed, rep.Ingest.FirstError)
	assert.Zero(t, rep.Ingest.HTTPErrors)
	assert.Positive(t, rep.Ingest.PerSecond)
	assert.EqualValues(t, 1200, rep.StoredMemories)
	assert.EqualValues(t, 1200, rep.Startup.Memories, "the restart sees every memory")

	for name, s := range map[string]SearchResult{"search": rep.Search, "repeat": rep.SearchRepeat} {
		assert.EqualValues(t, 150, s.Requests, name)
		assert.Zero(t, s.Errors, "%s: %s", name, s.FirstError)
		assert.Equal(t, map[string]int64{"hybrid": 150}, s.Modes, name)
		assert.Positive(t, s.Results, "%s: searches of the seeded namespace find memories", name)
		assert.Positive(t, s.P50Ms, name)
		assert.LessOrEqual(t, s.P50Ms, s.P99Ms, name)
		assert.LessOrEqual(t, s.P99Ms, s.MaxMs, name)
	}

	st := rep.Startup
	assert.Positive(t, st.ListenMs)
	assert.LessOrEqual(t, st.ListenMs, st.ReadyMs)
	assert.LessOrEqual(t, st.ReadyMs, st.IndexLoadedMs)
	for name, m := range map[string]ProcMemory{
		"after ingest": rep.Memory.AfterIngest, "after search": rep.Memory.AfterSearch,
		"after load": rep.Memory.AfterLoad, "after repeat": rep.Memory.AfterRepeatSearch,
	} {
		assert.Greater(t, m.RSSBytes, int64(1<<20), name)
	}
	require.NotNil(t, rep.Ratios)
	assert.Equal(t, 100, rep.Ratios.Queries)
	assert.Equal(t, 1200, rep.Ratios.Vectors)
	assert.Positive(t, rep.Ratios.FTS.Results, "the plain query finds the corpus's words")
	assert.EqualValues(t, 100*10, rep.Ratios.VectorScan.Results)
	assert.Positive(t, rep.Ratios.MimoOverFTSP50)
	assert.Positive(t, rep.Ratios.MimoOverVectorP50)
	if wrkErr == nil {
		for _, a := range []*AskResult{rep.AskClosed, rep.AskThink} {
			require.NotNil(t, a)
			assert.Positive(t, a.Requests)
			assert.Zero(t, a.Non2xx, "every question answered")
			assert.Positive(t, a.P99Ms)
		}
		assert.Equal(t, 100, rep.AskThink.ThinkMs)
	}
	assert.Len(t, rep.Targets, 6)
	assert.NotEmpty(t, rep.MimoGoVersion)
	assert.FileExists(t, filepath.Join(work, "server.log"))

	// The same data directory again is not an empty store: refused.
	o.Mimo = rep.MimoBinary
	_, err = Run(context.Background(), o)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already holds 1200 memories")
}

func TestStartServerReportsAnEarlyExitWithItsLog(t *testing.T) {
	script := filepath.Join(t.TempDir(), "fake-mimo")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\necho 'MIMO_ADDR: cannot listen' >&2\nexit 3\n"), 0o755))
	_, err := startServer(context.Background(), ServerOptions{Binary: script, DataDir: t.TempDir()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited before listening")
	assert.Contains(t, err.Error(), "cannot listen")
}

func TestServerEnvDropsTheCallersMimoSettings(t *testing.T) {
	t.Setenv("MIMO_API_KEY", "secret")
	t.Setenv("MIMO_ADDR", "0.0.0.0:4000")
	env := serverEnv(ServerOptions{DataDir: "/data", DatabaseURL: "postgres://h/db"})
	assert.NotContains(t, env, "MIMO_API_KEY=secret")
	assert.NotContains(t, env, "MIMO_ADDR=0.0.0.0:4000")
	assert.Contains(t, env, "MIMO_ADDR=127.0.0.1:0")
	assert.Contains(t, env, "MIMO_DATA_DIR=/data")
	assert.Contains(t, env, "MIMO_RATE_LIMIT=off")
	assert.Contains(t, env, "MIMO_DATABASE_URL=postgres://h/db")
}
