package breakers

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/mimoclient"
	"mimo/harness/record"
	"mimo/harness/standin"
	mimo "mimo/system"
)

// watched is one of Mimo's circuits under watch: a timeline of the
// scenario with the circuit's state as a series, and the waits every
// breaker scenario asserts with. Its methods fail the test from the
// test's goroutine only.
type watched struct {
	t       *testing.T
	tl      *harness.Timeline
	m       *harness.MimoServer
	service string
}

// watchCircuit starts the scenario's timeline, recorded in rec, watching
// m's circuit of service ("llm", "embedder", "db").
func watchCircuit(t *testing.T, rec *record.Recorder, m *harness.MimoServer, service string) *watched {
	tl := harness.NewTimeline(t, rec)
	tl.WatchCircuit(m, service)
	return &watched{t: t, tl: tl, m: m, service: service}
}

// is waits until the circuit is in state want.
func (w *watched) is(want mimo.CircuitState) {
	w.t.Helper()
	w.tl.Expect(fmt.Sprintf("the %s circuit %s", w.service, want), within, w.m.CircuitIs(w.service, want))
}

// transitions waits until mimo_circuit_breaker_transitions_total counts
// exactly n transitions of the circuit to state to.
func (w *watched) transitions(to mimo.CircuitState, n float64) {
	w.t.Helper()
	w.tl.Expect(fmt.Sprintf("%g transitions to %s", n, to), within, w.m.MetricIs("mimo_circuit_breaker_transitions_total",
		map[string]string{"service": w.service, "to": to.String()}, func(v float64) bool { return v == n }))
}

// halfOpen waits until /health says the circuit is half-open: the gauge
// turns half-open only when Mimo next looks at an open circuit, and
// /health is such a look. what names the wait on the timeline.
func (w *watched) halfOpen(what string) {
	w.t.Helper()
	w.tl.Expect(fmt.Sprintf("/health: the %s circuit half-open%s", w.service, what), within,
		w.m.HealthIs(func(h *mimoclient.Health) bool { return h.Circuit(w.service) == mimo.CircuitHalfOpen }))
}

// dependency is a dependency played by the stand-in: what it fails and
// answers slowly on, and the routes whose calls count as calls to it.
type dependency struct {
	w      *watched
	ctl    *standin.Control
	routes []string
}

// standinDependency is the stand-in as the dependency behind w's circuit,
// called on routes.
func (w *watched) standinDependency(ctl *standin.Control, routes ...string) *dependency {
	return &dependency{w: w, ctl: ctl, routes: routes}
}

// fail makes the stand-in answer every call with f, an action named what
// on the timeline.
func (d *dependency) fail(what string, f standin.Fail) {
	d.w.t.Helper()
	d.w.tl.Do(what, func() { require.NoError(d.w.t, d.ctl.Fail(context.Background(), f)) })
}

// back clears the stand-in's failure and holds its next answer for
// delayMS, so that the half-open probe is still in flight while others
// call; an action named what on the timeline.
func (d *dependency) back(what string, delayMS int) {
	d.w.t.Helper()
	d.w.tl.Do(what, func() {
		ctx := context.Background()
		require.NoError(d.w.t, d.ctl.Clear(ctx))
		require.NoError(d.w.t, d.ctl.Slow(ctx, standin.Slow{DelayMS: delayMS, Count: 1}))
	})
}

// calls is how many calls the stand-in has received on the dependency's
// routes, counted on arrival.
func (d *dependency) calls() int64 {
	d.w.t.Helper()
	n, err := d.ctl.Counters(context.Background())
	require.NoError(d.w.t, err)
	var sum int64
	for _, r := range d.routes {
		sum += n.Routes[r]
	}
	return sum
}
