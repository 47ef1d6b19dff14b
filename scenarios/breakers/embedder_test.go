package breakers

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/standin"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

// embedTimeout bounds one embedding call: a timeout toxic costs that much
// per call, and the held probe (probeDelay) must come back within it.
const (
	embedTimeout = 10 * time.Second
	probeDelay   = 6 * time.Second
)

// searchAnswer is POST /api/search's answer: the page, and whether it was
// degraded and why.
type searchAnswer struct {
	mimo.SearchPage
	Degraded bool   `json:"degraded"`
	Reason   string `json:"reason"`
}

// search sends POST /api/search and decodes the answer; any status but
// 200 is an error.
func search(ctx context.Context, c *mimoclient.Client, ns, query string) (*searchAnswer, error) {
	r, err := c.Do(ctx, http.MethodPost, "/api/search", map[string]any{"namespace": ns, "query": query})
	if err != nil {
		return nil, err
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	var a searchAnswer
	return &a, r.Decode(&a)
}

func TestEmbedderCircuitTransitionsAndIsNotCalledWhileOpen(t *testing.T) {
	rec := record.New(t, fmt.Sprintf("The embedder's circuit opens after %d consecutive failures of Ollama (HTTP 500), Ollama is not called while it is open and every store still succeeds, it lets one probe through after %s (one call under %d concurrent clients) and closes on its success, and opens again under a timeout toxic on the ollama proxy", failures, reset, clients))
	env := harness.Start(t, harness.Options{Record: rec, Embedder: harness.EmbedderOllama, Mimo: []testcontainers.ContainerCustomizer{
		mimoserver.WithBreaker(failures, reset),
		mimoserver.WithEmbedTimeout(embedTimeout),
	}})
	ctx := context.Background()
	c, m := env.Client(), env.Mimo()
	const ns = "breakers-embedder"

	w := watchCircuit(t, rec, m, "embedder")
	tl := w.tl
	ollama := w.standinDependency(env.Standin(), standin.RouteOllamaEmbed, standin.RouteOllamaEmbeddings)
	var stored atomic.Int64
	// store is safe on any goroutine: a failure is an assert, not a
	// require. Whatever the circuit, a store is answered 201.
	store := func(what string) {
		res, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: what})
		if assert.NoError(t, err, "Mimo stores %q whatever the state of the embedder's circuit", what) {
			assert.True(t, res.Created, "%q is created, not queued", what)
			stored.Add(1)
		}
	}
	fallbacks := func(reason string) float64 {
		t.Helper()
		ms, err := env.Metrics(ctx)
		require.NoError(t, err)
		v, _ := ms.Sum("mimo_fallback_triggered_total", map[string]string{"service": "embedder", "reason": reason})
		return v
	}

	store("The invoice archive moves to cold storage after ninety days.")
	require.Positive(t, ollama.calls(), "the store was embedded by the stand-in: Mimo runs on the Ollama embedder")
	w.is(mimo.CircuitClosed)

	// closed → open: Ollama answers 500 to every embedding.
	ollama.fail("Ollama fails with 500", standin.Fail{Status: 500})
	for i := range failures {
		store(fmt.Sprintf("Invoice rule %d: archived invoices are read-only.", i))
	}
	w.is(mimo.CircuitOpen)
	w.transitions(mimo.CircuitOpen, 1)
	assert.GreaterOrEqual(t, fallbacks("error"), float64(failures), "each failed embedding is a fallback with reason error")

	// Open: stores succeed, searches rank by text, and Ollama is not called.
	before, openBefore := ollama.calls(), fallbacks("circuit_open")
	for i := range 5 {
		store(fmt.Sprintf("Invoice note %d written while the embedder's circuit is open.", i))
		a, err := search(ctx, c, ns, "archived invoices read-only")
		require.NoError(t, err)
		assert.True(t, a.Degraded, "a search while the circuit is open is degraded")
		assert.Equal(t, "lexical", a.Mode)
		assert.Equal(t, "embedder_unavailable", a.Reason)
		assert.NotEmpty(t, a.Results, "found by its text")
	}
	assert.Equal(t, before, ollama.calls(), "no call reaches Ollama while the circuit is open")
	assert.Greater(t, fallbacks("circuit_open"), openBefore, "calls refused by the open circuit are fallbacks with reason circuit_open")
	rec.Measure("ollama_calls_while_open", float64(ollama.calls()-before), "count")

	// open → half-open after the reset time; a failing probe → open.
	opened := time.Now()
	w.halfOpen("")
	rec.Measure("half_open_after", float64(time.Since(opened).Milliseconds()), "ms")
	store("Invoice probe: the probe reaches the failing Ollama.")
	w.is(mimo.CircuitOpen)
	w.transitions(mimo.CircuitOpen, 2)
	w.transitions(mimo.CircuitHalfOpen, 1)

	// half-open → closed: Ollama is back, its next answer slow; 100 clients
	// store at once, and one call (a client's or the re-embedder's) is the
	// probe: the stand-in counts it on arrival and holds it, so while it is
	// held the count says how many got through.
	ollama.back(fmt.Sprintf("Ollama is back, its next answer %s slow", probeDelay), int(probeDelay.Milliseconds()))
	w.halfOpen(" again")
	before = ollama.calls()
	var done atomic.Int64
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tl.Concurrently(fmt.Sprintf("%d clients store at once", clients), clients, func(i int) {
			store(fmt.Sprintf("Invoice client %d stored during the half-open probe.", i))
			done.Add(1)
		})
	}()
	tl.Expect(fmt.Sprintf("%d of %d stores answered while the probe is held", clients-1, clients), within, func() (bool, string) {
		return done.Load() >= clients-1, fmt.Sprintf("%d answered", done.Load())
	})
	through := ollama.calls() - before
	assert.EqualValues(t, 1, through, "exactly one call reached Ollama while the circuit was half-open")
	rec.Measure("calls_in_concurrent_half_open", float64(through), "count")
	<-finished
	w.is(mimo.CircuitClosed)
	w.transitions(mimo.CircuitHalfOpen, 2)
	w.transitions(mimo.CircuitClosed, 1)

	// closed → open again: a timeout toxic holds every answer of the ollama
	// proxy past Mimo's embedding timeout.
	tl.Do("a timeout toxic on the ollama proxy", func() {
		toxics.Add(t, env.Proxy(harness.ProxyOllama), toxics.Must(toxics.Timeout(0)))
	})
	for i := range failures {
		began := time.Now()
		store(fmt.Sprintf("Invoice rule %d written under a timeout toxic.", i))
		rec.Observe("store_latency_under_timeout_toxic", float64(time.Since(began).Milliseconds()), "ms")
	}
	w.is(mimo.CircuitOpen)
	w.transitions(mimo.CircuitOpen, 3)
	rec.Measure("stores_acknowledged", float64(stored.Load()), "count")
	rec.Evidence("note", "transitions in mimo_circuit_breaker_transitions_total{service=\"embedder\"}: open 3 (500s, failed probe, timeout toxic), half-open 2, closed 1; every store answered 201; no Ollama call while open, one during the concurrent half-open")
}
