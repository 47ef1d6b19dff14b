package harness

import (
	"context"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
	mimo "mimo/system"
)

// MimoServer is one Mimo of an environment: its container (address,
// lifecycle) and waiters on what it reports. Env's own waiters are those
// of the first Mimo.
type MimoServer struct {
	*mimoserver.Container
	// Name is its container name: Mimo for the first, "mimo-2", … for the
	// replicas StartMimo adds.
	Name   string
	client func() *mimoclient.Client
}

// Client returns a REST client of this Mimo at its current address.
func (m *MimoServer) Client() *mimoclient.Client { return m.client() }

// MCP connects the official MCP Go SDK's client to this Mimo's /mcp at its
// current address (Streamable HTTP, the newest protocol the two share),
// with Mimo's API key when it has one. The session is closed in
// t.Cleanup; failing to connect fails t.
func (m *MimoServer) MCP(t testing.TB) *mcp.ClientSession {
	t.Helper()
	cs, err := m.Client().MCP(context.Background())
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// WaitForMetric waits until pred holds for the sum of the series of
// metric name that carry labels (see mimoclient.Metrics.Sum; no matching
// series sums to 0), failing t after timeout with the last value or fetch
// error.
func (m *MimoServer) WaitForMetric(t testing.TB, name string, labels map[string]string, pred func(float64) bool, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, name+formatLabels(labels), m.MetricIs(name, labels, pred))
}

// WaitForHealth waits until pred holds for GET /health and returns that
// answer, failing t after timeout with the last answer or fetch error.
func (m *MimoServer) WaitForHealth(t testing.TB, pred func(*mimoclient.Health) bool, timeout time.Duration) *mimoclient.Health {
	t.Helper()
	return Await(t, timeout, "Mimo's health", m.Client().Health, pred, (*mimoclient.Health).String)
}

// WaitForCircuit waits until the breaker of service ("llm", "db",
// "embedder") is in state want by Mimo's gauge mimo_circuit_breaker_state,
// failing t after timeout with the last state seen. The gauge follows the
// breaker; an open circuit turns half-open when Mimo next looks at it (a
// call, or /health), so wait for half-open with HealthIs and
// Health.Circuit.
func (m *MimoServer) WaitForCircuit(t testing.TB, service string, want mimo.CircuitState, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, "the "+service+" circuit "+want.String(), m.CircuitIs(service, want))
}

// CircuitIs is a condition for WaitFor and Timeline.Expect: the breaker of
// service is in state want by the gauge mimo_circuit_breaker_state (see
// WaitForCircuit). Its detail is the state seen.
func (m *MimoServer) CircuitIs(service string, want mimo.CircuitState) func() (bool, string) {
	return m.metricsCond(func(ms mimoclient.Metrics) (bool, string) {
		s, ok := ms.Circuit(service)
		if !ok {
			return false, "no state in mimo_circuit_breaker_state{service=" + service + "}"
		}
		return s == want, "the " + service + " circuit is " + s.String()
	})
}

// MetricIs is a condition for WaitFor and Timeline.Expect: pred holds for
// the sum of the series of metric name that carry labels (as in
// WaitForMetric). Its detail is the sum seen.
func (m *MimoServer) MetricIs(name string, labels map[string]string, pred func(float64) bool) func() (bool, string) {
	return m.metricsCond(func(ms mimoclient.Metrics) (bool, string) {
		v, n := ms.Sum(name, labels)
		return pred(v), formatSum(name+formatLabels(labels), v, n)
	})
}

// SpoolPending is a condition for WaitFor and Timeline.Expect: pred holds
// for mimo_spool_pending, the writes Mimo has acknowledged as queued
// (202) and not yet applied to the database. Its detail is the value
// seen.
func (m *MimoServer) SpoolPending(pred func(float64) bool) func() (bool, string) {
	return m.MetricIs("mimo_spool_pending", nil, pred)
}

// HealthIs is a condition for WaitFor and Timeline.Expect: pred holds for
// GET /health. Its detail is the answer seen.
func (m *MimoServer) HealthIs(pred func(*mimoclient.Health) bool) func() (bool, string) {
	return func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), condTimeout)
		defer cancel()
		h, err := m.Client().Health(ctx)
		if err != nil {
			return false, err.Error()
		}
		return pred(h), h.String()
	}
}

// condTimeout bounds one check of a condition, so a stalled Mimo cannot
// hold a wait far past its timeout.
const condTimeout = 5 * time.Second

func (m *MimoServer) metricsCond(check func(mimoclient.Metrics) (bool, string)) func() (bool, string) {
	return func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), condTimeout)
		defer cancel()
		ms, err := m.Client().Metrics(ctx)
		if err != nil {
			return false, err.Error()
		}
		return check(ms)
	}
}

// WaitForReady waits until GET /health/ready answers 200, failing t after
// timeout with the last answer.
func (m *MimoServer) WaitForReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	Await(t, timeout, "Mimo ready", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, m.Client().Ready(ctx)
	}, func(struct{}) bool { return true }, nil)
}

// WaitForMetric is the first Mimo's MimoServer.WaitForMetric.
func (e *Env) WaitForMetric(t testing.TB, name string, labels map[string]string, pred func(float64) bool, timeout time.Duration) {
	t.Helper()
	e.mimo.WaitForMetric(t, name, labels, pred, timeout)
}

// WaitForHealth is the first Mimo's MimoServer.WaitForHealth.
func (e *Env) WaitForHealth(t testing.TB, pred func(*mimoclient.Health) bool, timeout time.Duration) *mimoclient.Health {
	t.Helper()
	return e.mimo.WaitForHealth(t, pred, timeout)
}

// WaitForCircuit is the first Mimo's MimoServer.WaitForCircuit.
func (e *Env) WaitForCircuit(t testing.TB, service string, want mimo.CircuitState, timeout time.Duration) {
	t.Helper()
	e.mimo.WaitForCircuit(t, service, want, timeout)
}

// WaitForReady is the first Mimo's MimoServer.WaitForReady.
func (e *Env) WaitForReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	e.mimo.WaitForReady(t, timeout)
}
