package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goodRun is a run that keeps every promise.
func goodRun(store string, memories int) *Report {
	r := &Report{Date: "2026-12-03T13:00:00Z", Store: store, NumCPU: 2, LoadBefore: []float64{0.5, 0.4, 0.3}, LoadAfter: []float64{1, 0.9, 0.8}}
	r.Settings.Memories = memories
	r.AskThink = &AskResult{Connections: 100, ThinkMs: 100, PerSecond: 950, P50Ms: 2, P99Ms: 40}
	r.AskClosed = &AskResult{Connections: 100, PerSecond: 2500, P50Ms: 30, P99Ms: 90, LoadBefore: []float64{1, 1, 1}}
	r.Search = SearchResult{Latency: Latency{Requests: 100, P50Ms: 3, P99Ms: 15}}
	r.SearchRepeat = SearchResult{Latency: Latency{Requests: 100, P50Ms: 4, P99Ms: 12}}
	r.Ingest = IngestResult{PerSecond: 3000, BatchSize: 1000, Concurrency: 1}
	r.Memory.AfterIngest.RSSMB = 300
	r.Memory.AfterSearch.RSSMB = 320
	r.Memory.AfterLoad.RSSMB = 200
	r.Memory.AfterRepeatSearch.RSSMB = 250
	r.Startup = Startup{ReadyMs: 8, IndexLoadedMs: 3500}
	return r
}

// rowVerdicts is each row's verdict for r, by figure.
func rowVerdicts(r *Report) map[string]verdict {
	out := map[string]verdict{}
	for _, row := range tableRows {
		out[row.figure] = row.cell(r).verdict
	}
	return out
}

func rowOf(t *testing.T, prefix string) tableRow {
	for _, row := range tableRows {
		if strings.HasPrefix(row.figure, prefix) {
			return row
		}
	}
	t.Fatalf("no row %q", prefix)
	return tableRow{}
}

func TestEveryPromiseKeptPasses(t *testing.T) {
	for figure, v := range rowVerdicts(goodRun("postgres", 100_000)) {
		if !strings.HasPrefix(figure, "indexes") && !strings.HasPrefix(figure, "Mimo's") {
			assert.Equal(t, pass, v, figure)
		}
	}
	assert.Equal(t, noPromise, rowOf(t, "search on Postgres").cell(goodRun("sqlite", 10_000)).verdict, "no Postgres promise for SQLite")
}

// Each promise fails on its own bound, the bound itself included where
// the promise is "below", and passes at it where it is "at least".
func TestEachPromiseFailsAtItsBound(t *testing.T) {
	cases := []struct {
		row  string
		edit func(*Report)
	}{
		{"`/api/ask`, 100 connections", func(r *Report) { r.AskThink.P99Ms = 100 }},
		{"`/api/ask`, 100 connections", func(r *Report) { r.AskThink.Non2xx = 1 }},
		{"`/api/ask`, 100 connections", func(r *Report) { r.AskThink = nil }},
		{"`/api/ask` closed loop", func(r *Report) { r.AskClosed.PerSecond = 1999.9 }},
		{"`/api/ask` closed loop", func(r *Report) { r.AskClosed.SocketErrors = 3 }},
		{"search, 4 connections", func(r *Report) { r.SearchRepeat.P50Ms = 5 }},
		{"search, 4 connections", func(r *Report) { r.Search.P99Ms = 20 }},
		{"search, 4 connections", func(r *Report) { r.Search.Errors = 1 }},
		{"search, 4 connections", func(r *Report) { r.Search.Requests, r.SearchRepeat.Requests = 0, 0 }},
		{"batch ingest", func(r *Report) { r.Ingest.PerSecond = 1999 }},
		{"batch ingest", func(r *Report) { r.Ingest.Failed = 2 }},
		{"resident memory", func(r *Report) { r.Memory.AfterIngest.RSSMB = 500 }},
		{"search on Postgres", func(r *Report) { r.Search.P50Ms = 5.01 }},
		{"ready after restart", func(r *Report) { r.Startup.ReadyMs = 1000 }},
	}
	for _, c := range cases {
		r := goodRun("postgres", 100_000)
		c.edit(r)
		assert.Equal(t, fail, rowOf(t, c.row).cell(r).verdict, c.row)
	}
	r := goodRun("sqlite", 10_000)
	r.AskClosed.PerSecond, r.Ingest.PerSecond = 2000, 2000
	assert.Equal(t, pass, rowOf(t, "`/api/ask` closed loop").cell(r).verdict)
	assert.Equal(t, pass, rowOf(t, "batch ingest").cell(r).verdict)
}

func TestMarkdownHasAColumnPerRunWithVerdictsAndLoad(t *testing.T) {
	slow := goodRun("sqlite", 100_000)
	slow.Search.P50Ms = 12.5
	slow.Ratios = &Ratios{Mimo: ExactLatency{P50Ms: 12.5}, FTS: ExactLatency{P50Ms: 2.5}, VectorScan: ExactLatency{P50Ms: 25},
		MimoOverFTSP50: 5, MimoOverFTSP99: 3, MimoOverVectorP50: 0.5, MimoOverVectorP99: 0.4}
	var b strings.Builder
	writeMarkdown(&b, "make bench", []*Report{goodRun("sqlite", 10_000), slow, goodRun("postgres", 1_000_000)})
	out := b.String()
	assert.Contains(t, out, "| figure | promise | SQLite 10,000 | SQLite 100,000 | Postgres 1,000,000 |\n|---|---|---|---|---|\n")
	assert.Contains(t, out, "| search, 4 connections closed loop (worse of before and after a restart) | p50 < 5 ms, p99 < 20 ms | p50 4.00 ms, p99 15.0 ms **PASS** | p50 12.5 ms, p99 15.0 ms **FAIL** | p50 4.00 ms, p99 15.0 ms **PASS** |")
	assert.Contains(t, out, "| search on Postgres | p50 < 5 ms | — | — | p50 4.00 ms **PASS** |")
	assert.Contains(t, out, "p50 5.0× (12.5 ms vs 2.50 ms), p99 3.0×")
	assert.Contains(t, out, "p50 0.5× (12.5 ms vs 25.0 ms), p99 0.4×")
	assert.Contains(t, out, "- SQLite 100,000: 2026-12-03T13:00:00Z, load average 0.50 0.40 0.30 → 1.00 0.90 0.80 (1.00 1.00 1.00 before the ask runs)")
	assert.Equal(t, len(tableRows)+1, strings.Count(out, "\n| "), "a line per row and the header")
}

func TestRewriteBlockKeepsTheRestOfTheFile(t *testing.T) {
	head := "# Benchmarks\n\nSome text, with trailing spaces   \r\nand a CRLF.\n\n"
	tail := "\n\n## Later\n\nmore text without a final newline"
	doc := head + blockBegin + "\nold table\n" + blockEnd + tail
	block := []byte(blockBegin + "\nnew table\n" + blockEnd)
	out, err := rewriteBlock([]byte(doc), block, "## H")
	require.NoError(t, err)
	assert.Equal(t, head+string(block)+tail, string(out))

	// Rewriting again with the same block changes nothing.
	again, err := rewriteBlock(out, block, "## H")
	require.NoError(t, err)
	assert.Equal(t, out, again)

	// Without markers the block is appended under the heading.
	out, err = rewriteBlock([]byte("# Doc\ntext"), block, "## H")
	require.NoError(t, err)
	assert.Equal(t, "# Doc\ntext\n\n## H\n\n"+string(block)+"\n", string(out))

	for _, bad := range []string{
		blockBegin + " no end",
		blockEnd + " then " + blockBegin,
		blockBegin + blockEnd + blockBegin + blockEnd,
	} {
		_, err := rewriteBlock([]byte(bad), block, "## H")
		assert.Error(t, err, bad)
	}
}

func TestTableCommandRewritesTheDoc(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, r := range []*Report{goodRun("sqlite", 10_000), goodRun("postgres", 10_000)} {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		p := filepath.Join(dir, []string{"a.json", "b.json"}[i])
		require.NoError(t, os.WriteFile(p, b, 0o644))
		paths = append(paths, p)
	}
	doc := filepath.Join(dir, "BENCHMARKS.md")
	require.NoError(t, os.WriteFile(doc, []byte("# B\n\n"+blockBegin+"\n"+blockEnd+"\n\n## After\n"), 0o644))

	code, out, errOut := runMain(append([]string{"table", "--doc", doc, "--command", "MIMO_BENCH_SIZES=10000 make bench"}, paths...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "| SQLite 10,000 | Postgres 10,000 |")
	written, err := os.ReadFile(doc)
	require.NoError(t, err)
	s := string(written)
	assert.True(t, strings.HasPrefix(s, "# B\n\n"+blockBegin+"\n"), s)
	assert.True(t, strings.HasSuffix(s, blockEnd+"\n\n## After\n"), s)
	assert.Contains(t, s, out, "the block holds what was printed")
	assert.Contains(t, s, "`MIMO_BENCH_SIZES=10000 make bench`, 2026-12-03")

	code, _, errOut = runMain("table")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "at least one report")
	code, _, _ = runMain("table", filepath.Join(dir, "missing.json"))
	assert.Equal(t, 1, code)
}

func TestFmtRatioKeepsSmallRatiosReadable(t *testing.T) {
	for v, want := range map[float64]string{12.4: "12", 3.44: "3.4", 0.16: "0.2", 0.0392: "0.039", 0.0236: "0.024", 0: "0.0"} {
		assert.Equal(t, want, fmtRatio(v), "fmtRatio(%v)", v)
	}
}
