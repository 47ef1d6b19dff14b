package monitoring

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/standin"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

// slowDatabaseMS is the latency put on every packet from Postgres: each
// REST request then takes over the 500 ms that MimoHighLatency's p95 allows.
const slowDatabaseMS = 600

func TestLatencyAndErrorAlertsFireOnASlowThenCutDatabaseAndResolve(t *testing.T) {
	t.Parallel()
	rec := record.New(t, fmt.Sprintf("With alerts.yml's thresholds (for: %s, windows %s), a %d ms slower Postgres fires MimoHighLatency and a cut one fires MimoHighErrorRate and opens the db circuit (MimoCircuitBreakerOpen); each reaches Alertmanager's webhook, resolves there when the database is well again, and no other alert fires", pending, window, slowDatabaseMS))
	// The db circuit opens under the cut; a short reset lets it close soon
	// after, so both alerts resolve within the wait.
	s := newStand(t, rec, mimoserver.WithBreaker(breakerFailures, breakerReset))
	const ns = "monitoring-alerts"
	// Reads of a memory nobody stored: the read cache cannot answer them,
	// so with the database cut they fail (503) rather than being served
	// degraded, and with it slow they wait for it (404).
	missing := uuid.Must(uuid.NewV7()).String()
	stop := traffic(t, every, func(ctx context.Context, _ int) error {
		_, err := s.env.Client().Get(ctx, ns, missing)
		return err
	})

	var remove func()
	s.phase(fmt.Sprintf("a %d ms latency toxic on the postgres proxy", slowDatabaseMS),
		func() {
			remove = toxics.Add(t, s.env.Proxy(harness.ProxyPostgres), toxics.Must(toxics.Latency(slowDatabaseMS, 0)))
		},
		func() { remove() },
		want{"MimoHighLatency", map[string]string{"job": harness.MimoJob, "severity": "warning"}})

	var restore func()
	s.phase("the postgres proxy cut",
		func() { restore = toxics.Cut(t, s.env.Proxy(harness.ProxyPostgres)) },
		func() { restore() },
		want{"MimoHighErrorRate", map[string]string{"job": harness.MimoJob, "severity": "critical"}},
		want{"MimoCircuitBreakerOpen", map[string]string{"job": harness.MimoJob, "service": "db", "severity": "warning"}})

	sent, failed := stop()
	rec.Measure("requests_sent", float64(sent), "count")
	rec.Measure("requests_failed", float64(failed), "count")
	s.onlyDelivered("MimoHighLatency", "MimoHighErrorRate", "MimoCircuitBreakerOpen")
}

// breakerFailures and breakerReset make the llm circuit open after three
// failed calls and probe again two seconds later.
const (
	breakerFailures = 3
	breakerReset    = 2 * time.Second
)

func TestBreakerFallbackAndDownAlertsFireOnAFailingModelAndAStoppedMimoAndResolve(t *testing.T) {
	t.Parallel()
	rec := record.New(t, fmt.Sprintf("With alerts.yml's thresholds (for: %s, windows %s), a model failing every call fires MimoCircuitBreakerOpen and MimoFallbackRateHigh for the llm, and Mimo stopped fires MimoDown; each reaches Alertmanager's webhook, resolves there when the model or Mimo is back, and no other alert fires", pending, window))
	s := newStand(t, rec, mimoserver.WithBreaker(breakerFailures, breakerReset))
	ctx := context.Background()
	const ns = "monitoring-alerts"
	_, err := s.env.Client().Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The staging database is refreshed from production every night."})
	require.NoError(t, err)
	questions := []string{"When is staging refreshed?", "Where does the staging data come from?", "How often is the staging database refreshed?"}
	stop := traffic(t, every, func(ctx context.Context, i int) error {
		_, err := s.env.Client().Ask(ctx, mimo.AskRequest{Namespace: ns, Query: questions[i%len(questions)]})
		return err
	})
	s.tl.WatchCircuit(s.env.Mimo(), "llm")

	ctl := s.env.Standin()
	s.phase("the model fails every call with 503",
		func() { require.NoError(t, ctl.Fail(ctx, standin.Fail{Status: 503})) },
		func() { require.NoError(t, ctl.Clear(ctx)) },
		want{"MimoCircuitBreakerOpen", map[string]string{"job": harness.MimoJob, "service": "llm", "severity": "warning"}},
		want{"MimoFallbackRateHigh", map[string]string{"job": harness.MimoJob, "service": "llm", "severity": "warning"}})
	sent, failed := stop()
	rec.Measure("asks_sent", float64(sent), "count")
	require.Zero(t, failed, "Mimo answers every question while the model fails")

	s.phase("Mimo stopped",
		func() { s.env.Stop(harness.Mimo) },
		func() { s.env.StartContainer(harness.Mimo) },
		want{"MimoDown", map[string]string{"job": harness.MimoJob, "severity": "critical"}})
	s.onlyDelivered("MimoCircuitBreakerOpen", "MimoFallbackRateHigh", "MimoDown")
}
