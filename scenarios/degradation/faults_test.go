package degradation

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/faults"
	"mimo/harness/latency"
	"mimo/harness/record"
	mimo "mimo/system"
)

const (
	// faultClients call Mimo at once, faultCalls calls each, under the 10%
	// profile; faultRunWithin bounds the whole run.
	faultClients   = 50
	faultCalls     = 20
	faultRunWithin = 3 * time.Minute
	// maxErrorRate is the share of client calls that may fail.
	maxErrorRate = 0.01
)

func TestUnderTenPercentBackendFaultsConcurrentClientsSeeUnderOnePercentErrors(t *testing.T) {
	// With the Ollama embedder one embedding call in ten fails too.
	for _, embedder := range []string{harness.EmbedderBuiltin, harness.EmbedderOllama} {
		t.Run(embedder, func(t *testing.T) { underTenPercent(t, embedder) })
	}
}

func underTenPercent(t *testing.T, embedder string) {
	rec := record.New(t, fmt.Sprintf("With 10%% of Mimo's backend calls failing (the harness's %s profile: one Postgres connection in ten reset, one stand-in call in ten failed) and the %s embedder, %d concurrent clients making %d calls each (store, get, search, ask) see under 1%% errors", faults.TenPercentName, embedder, faultClients, faultCalls))
	env := harness.Start(t, harness.Options{Record: rec, Embedder: embedder})
	ctx := context.Background()
	c := env.Client()
	const ns = "degradation-ten-percent"
	storeEach(t, c, ns, 20, func(i int) string {
		return fmt.Sprintf("Shipping rule %d: parcels over twenty kilos go by freight.", i)
	})
	before, err := env.Standin().Counters(ctx)
	require.NoError(t, err)

	env.Faults(t, faults.TenPercent)
	runCtx, cancel := context.WithTimeout(ctx, faultRunWithin)
	defer cancel()
	var calls, failed atomic.Int64
	var took latency.Sample
	var mu sync.Mutex
	byStatus := map[string]int{}
	call := func(method, path string, body any) {
		r, err := c.Do(runCtx, method, path, body)
		calls.Add(1)
		label := ""
		switch {
		case err != nil:
			label = "transport"
		case r.Status >= 300:
			label = fmt.Sprint(r.Status)
		}
		if r != nil {
			took.Add(r.Elapsed)
		}
		if label != "" {
			failed.Add(1)
			mu.Lock()
			byStatus[label]++
			mu.Unlock()
			rec.Observe("errors", 1, label)
		}
	}
	began := time.Now()
	var wg sync.WaitGroup
	for w := range faultClients {
		wg.Go(func() {
			for i := range faultCalls {
				if runCtx.Err() != nil {
					return
				}
				switch i % 4 {
				case 0:
					call(http.MethodPost, "/api/memories", mimo.StoreRequest{Namespace: ns, Content: fmt.Sprintf("Client %d shipment %d left the dock.", w, i)})
				case 1:
					call(http.MethodGet, "/api/memories?namespace="+ns, nil)
				case 2:
					call(http.MethodPost, "/api/search", map[string]any{"namespace": ns, "query": "parcels by freight"})
				case 3:
					call(http.MethodPost, "/api/ask", mimo.AskRequest{Namespace: ns, Query: "How do heavy parcels ship?"})
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	require.NoError(t, runCtx.Err(), "the run finished within %s", faultRunWithin)

	after, err := env.Standin().Counters(ctx)
	require.NoError(t, err)
	injected := after.Injected.Fail - before.Injected.Fail
	rate := float64(failed.Load()) / float64(calls.Load())
	took.Record(rec, "call_latency")
	rec.Measure("calls", float64(calls.Load()), "count")
	rec.Measure("client_errors", float64(failed.Load()), "count")
	rec.Measure("client_error_rate", rate, "ratio")
	rec.Measure("model_calls_failed", float64(injected), "count")
	rec.Measure("run_time", latency.MS(elapsed), "ms")
	rec.Evidence("note", fmt.Sprintf("%d calls in %v, %d failed (%v), the stand-in failed %d model calls", calls.Load(), elapsed.Round(time.Millisecond), failed.Load(), byStatus, injected))
	t.Logf("%d calls in %v, %d failed %v; %d model calls failed by the stand-in", calls.Load(), elapsed, failed.Load(), byStatus, injected)

	assert.EqualValues(t, faultClients*faultCalls, calls.Load(), "every call was made")
	assert.Positive(t, injected, "the profile was on: the stand-in failed model calls")
	assert.Less(t, rate, maxErrorRate, "client errors under 1%% with 10%% of backend calls failing: %v", byStatus)
}
