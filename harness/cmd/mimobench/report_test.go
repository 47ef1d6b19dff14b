package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goodReport is a run that meets every target.
func goodReport() *Report {
	r := &Report{Store: "sqlite", Settings: Settings{Memories: 100_000}}
	r.Ingest = IngestResult{PerSecond: 2500, Created: 100_000}
	r.Search.Latency = Latency{Requests: 2000, P50Ms: 2, P90Ms: 4, P99Ms: 9, MaxMs: 15}
	r.SearchRepeat.Latency = Latency{Requests: 2000, P50Ms: 2.5, P90Ms: 4, P99Ms: 11, MaxMs: 18}
	r.Startup = Startup{ReadyMs: 120, IndexLoadedMs: 900}
	r.Memory.AfterLoad = ProcMemory{RSSMB: 250}
	r.Memory.AfterRepeatSearch = ProcMemory{RSSMB: 260}
	return r
}

func verdicts(r *Report) map[string]bool {
	out := map[string]bool{}
	for _, t := range r.Targets {
		out[t.Name] = t.Pass
	}
	return out
}

func TestEvaluatePassesARunThatMeetsEveryTarget(t *testing.T) {
	r := goodReport()
	r.evaluate()
	require.Len(t, r.Targets, 6)
	for _, tg := range r.Targets {
		assert.True(t, tg.Pass, "%+v", tg)
	}
	// The worse of the two measurements is the one judged.
	assert.Equal(t, 2.5, r.Targets[0].Value)
	assert.Equal(t, 11.0, r.Targets[1].Value)
	assert.Equal(t, 260.0, r.Targets[4].Value)
}

func TestEvaluateFailsEachMissedTarget(t *testing.T) {
	cases := map[string]func(r *Report){
		"search p50":                      func(r *Report) { r.SearchRepeat.P50Ms = 5 },
		"search p99":                      func(r *Report) { r.Search.P99Ms = 20.5 },
		"ingest":                          func(r *Report) { r.Ingest.PerSecond = 1999.9 },
		"ready after restart":             func(r *Report) { r.Startup.ReadyMs = 1000 },
		"resident after load and search":  func(r *Report) { r.Memory.AfterLoad.RSSMB = 501 },
		"errors (ingest items, searches)": func(r *Report) { r.Search.Errors = 1 },
	}
	for name, spoil := range cases {
		r := goodReport()
		spoil(r)
		r.evaluate()
		for target, pass := range verdicts(r) {
			assert.Equal(t, target != name, pass, "spoiling %q, target %q", name, target)
		}
	}
}

func TestEvaluateNeverPassesAFigureThatWasNotMeasured(t *testing.T) {
	r := &Report{}
	r.evaluate()
	v := verdicts(r)
	for _, name := range []string{"search p50", "search p99", "ingest", "ready after restart", "resident after load and search"} {
		assert.False(t, v[name], name)
	}
}

func TestWriteTableShowsTheFiguresAndVerdicts(t *testing.T) {
	r := goodReport()
	r.Search.P99Ms = 31.25
	r.evaluate()
	var b bytes.Buffer
	r.writeTable(&b)
	out := b.String()
	for _, want := range []string{"2500 memories/s", "p99 31.25 ms", "ready 120 ms", "260 MB after search", "FAIL", "pass"} {
		assert.Contains(t, out, want)
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	r := goodReport()
	r.evaluate()
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, writeJSON(path, r))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(raw, &back))
	search := back["search"].(map[string]any)
	assert.Equal(t, 9.0, search["p99_ms"], "latency fields are inlined in the search object")
	assert.Len(t, back["targets"], 6)
}

func TestNewReportDescribesTheMachine(t *testing.T) {
	r := newReport(Options{DatabaseURL: "postgres://x/y"}.withDefaults())
	assert.Equal(t, "postgres", r.Store)
	assert.NotEmpty(t, r.GoVersion)
	assert.NotEmpty(t, r.Date)
	assert.Positive(t, r.NumCPU)
	assert.Equal(t, 10_000, r.Settings.Memories)
	assert.Equal(t, "default", r.Settings.Namespace)
}

func TestRedactArgsMasksDatabasePasswords(t *testing.T) {
	got := redactArgs([]string{"mimobench", "--database-url", "postgres://bench:s3cret@db:5432/x", "--database-url=postgres://u:pw@h/y", "--memories", "10"})
	assert.Equal(t, []string{"mimobench", "--database-url", "postgres://bench:xxxxx@db:5432/x", "--database-url=postgres://u:xxxxx@h/y", "--memories", "10"}, got)
	assert.Equal(t, []string{"postgres://u@h/db"}, redactArgs([]string{"postgres://u@h/db"}), "no password, nothing to mask")
}
