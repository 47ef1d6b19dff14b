// Package load holds the load gates: k6 scripts (scripts/) run by the suite's k6-compatible
// runner against Mimo on Postgres, with the stand-in LLM, behind Toxiproxy.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	runner "mimo/harness/load"
	"mimo/harness/mimoclient"
	"mimo/harness/record"
	mimo "mimo/system"
	_ "mimo/xk6-mimo"
)

// Settings that lengthen the gates (make soak sets them); CI runs the defaults.
const (
	// envDuration is the gates' duration as k6's --duration takes it (default 15s; the
	// full gate is 5m).
	envDuration = "MIMO_LOAD_DURATION"
	// envSoak is the memory gate's duration (default 15s; the soak is 10m).
	envSoak = "MIMO_SOAK_DURATION"
	// envMemories is how many memories are seeded before a gate (default 10,000).
	envMemories = "MIMO_LOAD_MEMORIES"
)

func setting(t *testing.T, key, def string) string {
	t.Helper()
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func duration(t *testing.T, key string) runner.Duration {
	t.Helper()
	d, err := runner.ParseDuration(setting(t, key, "15s"))
	require.NoError(t, err, key)
	return runner.Duration(d)
}

// startGate starts the environment a gate runs in and seeds it: Mimo on Postgres with the
// stand-in LLM, everything behind Toxiproxy, rate limiting off (the gate's 100 VUs come
// from one address but stand for 100 users), and the memories the gate asks over.
func startGate(t *testing.T, rec *record.Recorder) *harness.Env {
	t.Helper()
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(map[string]string{"MIMO_RATE_LIMIT": "off"}),
	}})
	n, err := strconv.Atoi(setting(t, envMemories, "10000"))
	require.NoError(t, err, envMemories)
	start := time.Now()
	seed(t, env, n)
	took := time.Since(start)
	rec.Measure("seeded_memories", float64(n), "count")
	rec.Measure("seed_rate", float64(n)/took.Seconds(), "per_s")
	t.Logf("seeded %d memories in %s", n, took.Round(time.Millisecond))
	return env
}

// words make the seeded memories' contents: distinct sentences over a shared vocabulary,
// so a query matches many of them, as a real store's would.
var words = strings.Fields(`test query backup job runs midnight deploy service database
replica cache index latency budget alert window release agent memory search answer model
graph entity relation token schema migration restore snapshot queue worker cluster region`)

// seedAttempts bounds how often seed sends one batch.
const seedAttempts = 3

// seed stores n memories in the default namespace (where the seed's script asks) through
// the batch API, a thousand at a time.
func seed(t *testing.T, env *harness.Env, n int) {
	t.Helper()
	ctx := context.Background()
	for lo := 0; lo < n; lo += mimo.MaxBatch {
		batch := make([]mimo.StoreRequest, 0, mimo.MaxBatch)
		for i := lo; i < min(lo+mimo.MaxBatch, n); i++ {
			content := fmt.Sprintf("Memory %d: the %s %s %s of %s.", i,
				words[i%len(words)], words[(i/7)%len(words)], words[(i/49)%len(words)], words[(i/343)%len(words)])
			batch = append(batch, mimo.StoreRequest{Content: content, Category: mimo.CategoryFact})
		}
		// A 503 is Mimo's answer to a store call that ran out of time (a thousand
		// embeddings and inserts on a machine busy with other scenarios): seeding is the
		// gate's set-up, not its claim, so such a batch is sent again, a bounded number of
		// times. Storing is idempotent, so memories a timed-out attempt did commit come
		// back as existing, and created plus existing must still be the whole batch.
		var counts struct{ Created, Existing, Failed int }
		for attempt := 1; ; attempt++ {
			resp, err := env.Client().Do(ctx, "POST", "/api/memories/batch", map[string]any{"memories": batch})
			require.NoError(t, err)
			if resp.Status == 503 && attempt < seedAttempts {
				t.Logf("batch at %d, attempt %d: %s; sending it again", lo, attempt, resp.Body)
				continue
			}
			require.Equal(t, 200, resp.Status, "batch at %d (attempt %d): %s", lo, attempt, resp.Body)
			require.NoError(t, resp.Decode(&counts))
			break
		}
		require.Equal(t, 0, counts.Failed, "batch at %d: no memory failed", lo)
		require.Equal(t, len(batch), counts.Created+counts.Existing, "batch at %d: every memory stored", lo)
	}
}

// gateRun is one run of a gate script and what was measured around it.
type gateRun struct {
	res     *runner.Result
	export  map[string]map[string]any // the --summary-export JSON's metrics
	rss     []float64                 // Mimo's resident memory, bytes, about once a second
	askBase float64                   // Mimo's POST /api/ask count before the run
}

// runGate runs script (a file in scripts/) against env's Mimo: its localhost:4000 is pointed
// there with k6's hosts option, its duration set as --duration would, and __ENV gets the
// addresses k6/x/mimo's fault control uses. It records the latency distribution, the
// error timeline and the resident-memory series, and writes the summary export beside
// the record.
func runGate(t *testing.T, env *harness.Env, rec *record.Recorder, script string, d runner.Duration) *gateRun {
	t.Helper()
	ctx := context.Background()
	s, err := runner.LoadScript(filepath.Join("scripts", script))
	require.NoError(t, err)
	before, err := env.Metrics(ctx)
	require.NoError(t, err)
	g := &gateRun{}
	g.askBase, _ = before.Sum("mimo_http_requests_total", map[string]string{"route": "/api/ask", "method": "POST"})

	var log bytes.Buffer
	tl := &timeline{}
	cfg := runner.Config{
		Base: runner.Options{Hosts: map[string]string{"localhost:4000": strings.TrimPrefix(env.MimoURL(), "http://")}},
		Over: runner.Options{Duration: &d, SummaryTrendStats: []string{"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"}},
		Env: map[string]string{
			"MIMO_TOXIPROXY_URL": env.Toxiproxy().URL(),
			"MIMO_STANDIN_URL":   env.Standin().BaseURL,
		},
		Log:     &log,
		Outputs: []runner.Output{tl},
	}
	stop := make(chan struct{})
	sampled := make(chan []float64)
	go func() { sampled <- sampleRSS(env, rec, stop) }()
	runCtx, cancel := context.WithTimeout(ctx, time.Duration(d)+2*time.Minute)
	defer cancel()
	g.res, err = runner.Execute(runCtx, s, cfg)
	close(stop)
	g.rss = <-sampled
	if err != nil || t.Failed() {
		t.Logf("run log:\n%s", log.String())
	}
	require.NoError(t, err)

	var summary bytes.Buffer
	require.NoError(t, runner.WriteSummary(&summary, g.res, runner.SummaryOptions{NoColor: true}))
	t.Logf("%s", summary.String())
	rec.Evidence("note", summary.String())
	var export bytes.Buffer
	require.NoError(t, runner.WriteSummaryExport(&export, g.res, runner.ExportState{}, runner.SummaryOptions{NoColor: true}))
	dir, err := record.ArtifactDir(t)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, "summary-export.json")
	require.NoError(t, os.WriteFile(path, export.Bytes(), 0o600))
	rec.EvidenceFile("note", "k6 --summary-export JSON of the run", path)
	var doc struct {
		Metrics map[string]map[string]any `json:"metrics"`
	}
	require.NoError(t, json.Unmarshal(export.Bytes(), &doc))
	g.export = doc.Metrics
	tl.record(rec)
	for _, stat := range []string{"med", "p(90)", "p(95)", "p(99)", "max"} {
		name := "http_req_duration_" + strings.NewReplacer("(", "", ")", "").Replace(stat)
		rec.Measure(name, g.num(t, "http_req_duration", stat), "ms")
	}
	rec.Measure("http_reqs", g.num(t, "http_reqs", "count"), "count")
	// Mimo's own mean time per ask and per model call, beside the client's: what of the
	// client's latency is Mimo's, and what is the network's and the machine's.
	if after, err := env.Metrics(ctx); err == nil {
		for _, h := range []struct {
			histogram, measure string
			labels             map[string]string
		}{
			{"mimo_http_request_duration_seconds", "mimo_ask_server_mean", map[string]string{"route": "/api/ask", "method": "POST"}},
			{"mimo_llm_duration_seconds", "mimo_llm_call_mean", nil},
		} {
			if mean, n, ok := meanOver(before, after, h.histogram, h.labels); ok {
				rec.Measure(h.measure, mean*1000, "ms")
				t.Logf("%s: %.1f ms over %g", h.measure, mean*1000, n)
			}
		}
	}
	rec.Measure("http_req_failed_rate", g.num(t, "http_req_failed", "value"), "ratio")
	return g
}

// meanOver is the mean of a histogram's observations between two scrapes (seconds), summed
// over the series matching labels, and how many there were; false when there were none.
func meanOver(before, after mimoclient.Metrics, histogram string, labels map[string]string) (mean, n float64, ok bool) {
	s0, _ := before.Sum(histogram+"_sum", labels)
	n0, _ := before.Sum(histogram+"_count", labels)
	s1, _ := after.Sum(histogram+"_sum", labels)
	n1, _ := after.Sum(histogram+"_count", labels)
	if n1 <= n0 {
		return 0, 0, false
	}
	return (s1 - s0) / (n1 - n0), n1 - n0, true
}

// num is a figure of the summary export.
func (g *gateRun) num(t *testing.T, metric, stat string) float64 {
	t.Helper()
	m, ok := g.export[metric]
	require.True(t, ok, "the summary export has %s", metric)
	v, ok := m[stat].(float64)
	require.True(t, ok, "the summary export's %s has %s: %v", metric, stat, m)
	return v
}

// assertCountersAgree checks the summary export's request count against Mimo's own:
// every request the runner counted, and no other, is in mimo_http_requests_total for the
// ask route.
func (g *gateRun) assertCountersAgree(t *testing.T, env *harness.Env, rec *record.Recorder) {
	t.Helper()
	reqs := g.num(t, "http_reqs", "count")
	ask := map[string]string{"route": "/api/ask", "method": "POST"}
	harness.WaitFor(t, 30*time.Second, "Mimo's ask count to reach the runner's", func() (bool, string) {
		m, err := env.Metrics(context.Background())
		if err != nil {
			return false, err.Error()
		}
		v, _ := m.Sum("mimo_http_requests_total", ask)
		return v-g.askBase >= reqs, fmt.Sprintf("Mimo counted %g, the runner %g", v-g.askBase, reqs)
	})
	m, err := env.Metrics(context.Background())
	require.NoError(t, err)
	v, _ := m.Sum("mimo_http_requests_total", ask)
	rec.Measure("mimo_ask_requests", v-g.askBase, "count")
	require.Equal(t, reqs, v-g.askBase,
		"the summary export's http_reqs equals Mimo's mimo_http_requests_total{route=\"/api/ask\",method=\"POST\"} over the run")
}

// sampleRSS reads Mimo's process_resident_memory_bytes about once a second until stop,
// recording each sample in the series rss_bytes.
func sampleRSS(env *harness.Env, rec *record.Recorder, stop <-chan struct{}) []float64 {
	var out []float64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m, err := env.Metrics(ctx)
		cancel()
		if err == nil {
			if v, ok := m.Value("process_resident_memory_bytes", nil); ok {
				out = append(out, v)
				rec.Observe("rss_bytes", v, "")
			}
		}
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
	}
}

// timeline is an Output keeping what the report shows of a run: each failed request (the
// error timeline, its status or transport error code as label) and every request's duration
// (the latency histogram).
type timeline struct {
	mu        sync.Mutex
	errors    []record.Point
	durations []float64
	times     []time.Time // when each duration's request ended, in step with durations
}

// maxErrorPoints bounds the error timeline a run records; the count is always whole.
const maxErrorPoints = 2000

func (tl *timeline) AddSample(s runner.Sample) {
	switch s.Metric.Name {
	case "http_req_failed":
		if s.Value == 0 {
			return
		}
		label := "status_" + s.Tags["status"]
		if c := s.Tags["error_code"]; c != "" {
			label = "error_code_" + c
		}
		tl.mu.Lock()
		if len(tl.errors) < maxErrorPoints {
			tl.errors = append(tl.errors, record.Point{T: s.Time, V: 1, Label: label})
		}
		tl.mu.Unlock()
	case "http_req_duration":
		tl.mu.Lock()
		tl.durations = append(tl.durations, s.Value)
		tl.times = append(tl.times, s.Time)
		tl.mu.Unlock()
	}
}

// histogramBounds are the latency histogram's upper bounds, in ms.
var histogramBounds = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}

// percentileWindow is the width of the windows the latency percentiles over time are
// taken in.
const percentileWindow = 5 * time.Second

// record writes the series errors (the error timeline), latency_histogram (a point per
// bucket: v the number of requests, label its range) and latency_p50, latency_p95 and
// latency_p99 (the percentiles of each percentileWindow of the run, in ms, at the window's
// end), which the report draws as the gate's latency over time.
func (tl *timeline) record(rec *record.Recorder) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.recordPercentiles(rec)
	for _, p := range tl.errors {
		rec.AddPoint("errors", p)
	}
	counts := make([]int, len(histogramBounds)+1)
	for _, d := range tl.durations {
		i := 0
		for i < len(histogramBounds) && d > histogramBounds[i] {
			i++
		}
		counts[i]++
	}
	now := time.Now()
	lo := 0.0
	for i, n := range counts {
		var label string
		if i < len(histogramBounds) {
			label = fmt.Sprintf("(%g, %g] ms", lo, histogramBounds[i])
			lo = histogramBounds[i]
		} else {
			label = fmt.Sprintf("> %g ms", lo)
		}
		rec.AddPoint("latency_histogram", record.Point{T: now, V: float64(n), Label: label})
	}
}

// recordPercentiles writes latency_p50, latency_p95 and latency_p99, one point per
// percentileWindow that saw requests. tl.mu is held.
func (tl *timeline) recordPercentiles(rec *record.Recorder) {
	if len(tl.times) == 0 {
		return
	}
	start := slices.MinFunc(tl.times, func(a, b time.Time) int { return a.Compare(b) })
	windows := map[int][]float64{}
	for i, at := range tl.times {
		w := int(at.Sub(start) / percentileWindow)
		windows[w] = append(windows[w], tl.durations[i])
	}
	keys := slices.Sorted(maps.Keys(windows))
	for _, w := range keys {
		ds := windows[w]
		slices.Sort(ds)
		at := start.Add(time.Duration(w+1) * percentileWindow)
		for _, p := range []struct {
			series string
			q      float64
		}{{"latency_p50", 0.50}, {"latency_p95", 0.95}, {"latency_p99", 0.99}} {
			// Nearest rank: the smallest duration with at least q of the window's at or under it.
			i := max(int(math.Ceil(p.q*float64(len(ds))))-1, 0)
			rec.AddPoint(p.series, record.Point{T: at, V: ds[i], Label: fmt.Sprintf("%d requests", len(ds))})
		}
	}
}
