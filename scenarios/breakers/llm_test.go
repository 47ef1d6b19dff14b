// Package breakers is the validation scenario of Mimo's circuit breakers
// under real injected failures: the exact transitions closed → open →
// half-open → closed (or open again), the dependency not called while the
// circuit is open, and one probe at a time under 100 concurrent clients.
package breakers

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
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
	env := harness.Start(t, harness.Options{Record: rec, MimoEnv: map[string]string{
		"MIMO_BREAKER_FAILURES": fmt.Sprint(failures),
		"MIMO_BREAKER_RESET":    reset.String(),
	}})
	ctx := context.Background()
	c := env.Client()
	ctl := env.Standin()
	const ns = "breakers"
	_, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The release train leaves every second Thursday."})
	require.NoError(t, err)
	ask := func(q string) *mimo.Answer {
		t.Helper()
		a, err := c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: q})
		require.NoError(t, err, "Mimo answers whatever the state of the circuit")
		return a
	}
	state := func(want float64, label string) {
		t.Helper()
		env.WaitForMetric(t, "mimo_circuit_breaker_state", map[string]string{"service": "llm"},
			func(v float64) bool { return v == want }, within)
		rec.Observe("breaker_llm", want, label)
	}
	transitions := func(to string, want float64) {
		t.Helper()
		env.WaitForMetric(t, "mimo_circuit_breaker_transitions_total", map[string]string{"service": "llm", "to": to},
			func(v float64) bool { return v == want }, within)
	}
	chatCalls := func() int64 {
		t.Helper()
		n, err := ctl.Counters(ctx)
		require.NoError(t, err)
		return n.Routes[standin.RouteOpenAIChat]
	}

	require.False(t, ask("When does the release train leave?").Degraded)
	state(0, "closed")

	// closed → open: the model fails (503 from the stand-in) three times.
	require.NoError(t, ctl.Fail(ctx, standin.Fail{Status: 503}))
	for i := range failures {
		a := ask(fmt.Sprintf("Release train day, question %d?", i))
		assert.Contains(t, a.Reason, "failed", "failure %d reaches the model", i+1)
	}
	state(2, "open")
	transitions("open", 1)

	// Open: answers come, degraded, and the model is not called.
	before := chatCalls()
	for i := range 5 {
		a := ask(fmt.Sprintf("How often does the train leave, take %d?", i))
		assert.True(t, a.Degraded)
		assert.Contains(t, a.Reason, "circuit is open")
	}
	assert.Equal(t, before, chatCalls(), "no call reaches the model while the circuit is open")
	rec.Measure("model_calls_while_open", float64(chatCalls()-before), "count")

	// open → half-open after the reset time; a failing probe → open.
	opened := time.Now()
	env.WaitForHealth(t, func(h map[string]any) bool {
		return h["components"].(map[string]any)["llm"].(map[string]any)["circuit"] == "half-open"
	}, within)
	rec.Measure("half_open_after", float64(time.Since(opened).Milliseconds()), "ms")
	state(1, "half-open")
	assert.Contains(t, ask("Is the release train weekly?").Reason, "failed", "the probe reaches the failing model")
	state(2, "open")
	transitions("open", 2)
	transitions("half-open", 1)

	// half-open → closed: the model is back; 100 clients ask at once while
	// the probe is slow, and only the probe reaches it.
	require.NoError(t, ctl.Clear(ctx))
	require.NoError(t, ctl.Slow(ctx, standin.Slow{DelayMS: 2000, Count: 1}))
	env.WaitForHealth(t, func(h map[string]any) bool {
		return h["components"].(map[string]any)["llm"].(map[string]any)["circuit"] == "half-open"
	}, within)
	before = chatCalls()
	var wg sync.WaitGroup
	answers := make([]*mimo.Answer, clients)
	errs := make([]error, clients)
	for i := range clients {
		wg.Go(func() {
			answers[i], errs[i] = c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: fmt.Sprintf("Which Thursday, client %d?", i)})
		})
	}
	wg.Wait()
	synthesised, refused := 0, 0
	for i := range clients {
		require.NoError(t, errs[i], "client %d", i)
		if answers[i].Degraded {
			refused++
		} else {
			synthesised++
		}
	}
	assert.Equal(t, 1, synthesised, "one probe")
	assert.Equal(t, clients-1, refused, "the others are answered without the model")
	assert.Equal(t, before+1, chatCalls(), "exactly one call reached the model")
	state(0, "closed")
	transitions("half-open", 2)
	transitions("closed", 1)
	rec.Measure("probes_in_concurrent_half_open", float64(synthesised), "count")
	rec.Measure("refused_in_concurrent_half_open", float64(refused), "count")

	a := ask("When does the release train leave next?")
	assert.False(t, a.Degraded, "closed again: the model answers")
	rec.Evidence("note", "transitions seen in mimo_circuit_breaker_transitions_total: open 2, half-open 2, closed 1; the stand-in received no call while open and one during the concurrent half-open")
}
