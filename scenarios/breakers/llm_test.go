// Package breakers is the validation scenario of Mimo's circuit breakers
// under real injected failures: the exact transitions closed → open →
// half-open → closed (or open again), the dependency not called while the
// circuit is open, and one probe at a time under 100 concurrent clients.
package breakers

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/standin"
	mimo "mimo/system"
)

const (
	failures = 3
	reset    = 3 * time.Second
	// within bounds each wait; the waits end as soon as their condition
	// holds.
	within = 30 * time.Second
	// clients is how many ask at once in the concurrent phase.
	clients = 100
)

func TestLLMCircuitTransitionsAndIsNotCalledWhileOpen(t *testing.T) {
	rec := record.New(t, fmt.Sprintf("The LLM's circuit opens after %d consecutive failures, the LLM is not called while it is open, it lets one probe through after %s and closes on its success, also under %d concurrent clients", failures, reset, clients))
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{mimoserver.WithBreaker(failures, reset)}})
	ctx := context.Background()
	c, m := env.Client(), env.Mimo()
	const ns = "breakers"
	_, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The release train leaves every second Thursday."})
	require.NoError(t, err)

	w := watchCircuit(t, rec, m, "llm")
	tl := w.tl
	model := w.standinDependency(env.Standin(), standin.RouteOpenAIChat)
	// ask is safe on any goroutine: a failure is an assert, not a require.
	ask := func(q string) *mimo.Answer {
		a := &mimo.Answer{}
		assert.NoError(t, tl.Time("ask_latency", func() (err error) {
			a, err = c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: q})
			return err
		}), "Mimo answers %q whatever the state of the circuit", q)
		return a
	}

	require.False(t, ask("When does the release train leave?").Degraded)
	w.is(mimo.CircuitClosed)

	// closed → open: the model fails (503 from the stand-in) three times.
	model.fail("the model fails with 503", standin.Fail{Status: 503})
	for i := range failures {
		a := ask(fmt.Sprintf("Release train day, question %d?", i))
		assert.Contains(t, a.Reason, "failed", "failure %d reaches the model", i+1)
	}
	w.is(mimo.CircuitOpen)
	w.transitions(mimo.CircuitOpen, 1)

	// Open: answers come, degraded, and the model is not called.
	before := model.calls()
	for i := range 5 {
		a := ask(fmt.Sprintf("How often does the train leave, take %d?", i))
		assert.True(t, a.Degraded)
		assert.Contains(t, a.Reason, "circuit is open")
	}
	assert.Equal(t, before, model.calls(), "no call reaches the model while the circuit is open")
	rec.Measure("model_calls_while_open", float64(model.calls()-before), "count")

	// open → half-open after the reset time; a failing probe → open.
	opened := time.Now()
	w.halfOpen("")
	rec.Measure("half_open_after", float64(time.Since(opened).Milliseconds()), "ms")
	w.is(mimo.CircuitHalfOpen)
	assert.Contains(t, ask("Is the release train weekly?").Reason, "failed", "the probe reaches the failing model")
	w.is(mimo.CircuitOpen)
	w.transitions(mimo.CircuitOpen, 2)
	w.transitions(mimo.CircuitHalfOpen, 1)

	// half-open → closed: the model is back; 100 clients ask at once while
	// the probe is slow, and only the probe reaches it.
	model.back("the model is back, its next answer 2 s slow", 2000)
	w.halfOpen(" again")
	before = model.calls()
	var synthesised, refused atomic.Int64
	tl.Concurrently(fmt.Sprintf("%d clients ask at once", clients), clients, func(i int) {
		if ask(fmt.Sprintf("Which Thursday, client %d?", i)).Degraded {
			refused.Add(1)
		} else {
			synthesised.Add(1)
		}
	})
	assert.EqualValues(t, 1, synthesised.Load(), "one probe")
	assert.EqualValues(t, clients-1, refused.Load(), "the others are answered without the model")
	assert.Equal(t, before+1, model.calls(), "exactly one call reached the model")
	w.is(mimo.CircuitClosed)
	w.transitions(mimo.CircuitHalfOpen, 2)
	w.transitions(mimo.CircuitClosed, 1)
	rec.Measure("probes_in_concurrent_half_open", float64(synthesised.Load()), "count")
	rec.Measure("refused_in_concurrent_half_open", float64(refused.Load()), "count")

	assert.False(t, ask("When does the release train leave next?").Degraded, "closed again: the model answers")
	rec.Evidence("note", "transitions seen in mimo_circuit_breaker_transitions_total: open 2, half-open 2, closed 1; the stand-in received no call while open and one during the concurrent half-open")
}
