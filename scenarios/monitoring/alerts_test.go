package monitoring

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
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

// writeEvery is how often a memory is written while the database is cut,
// as a client's writes keep coming: few enough beside the reads that fail
// that the error ratio stays far above its threshold. Each is queued in
// the spool, which empties only by the drain once the database is back.
const writeEvery = 500 * time.Millisecond

func TestDatabaseAlertsFireOnASlowThenCutDatabaseAndResolve(t *testing.T) {
	t.Parallel()
	rec := record.New(t, fmt.Sprintf("With alerts.yml's thresholds (for: %s, windows %s), a %d ms slower Postgres fires MimoHighLatency; a cut one fires MimoHighErrorRate, opens the db circuit (MimoCircuitBreakerOpen), and the writes made meanwhile, answered 202 queued, wait in Mimo's spool (MimoSpoolBacklog) and take the db/spooled degraded path (MimoFallbackRateHigh); each reaches Alertmanager's webhook and resolves there when the database is well again and the spool has drained into it, and no other alert fires", pending, window, slowDatabaseMS))
	// The db circuit opens under the cut; a short reset lets it close soon
	// after, so the alerts resolve within the wait and the drainer replays
	// the spool within a few seconds of the database's return.
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
	s.tl.Watch("spool_pending", 250*time.Millisecond, func(ctx context.Context) (float64, string, error) {
		ms, err := s.env.Client().Metrics(ctx)
		if err != nil {
			return 0, "", err
		}
		v, _ := ms.Sum("mimo_spool_pending", nil)
		return v, "pending", nil
	})

	var remove func()
	s.phase(fmt.Sprintf("a %d ms latency toxic on the postgres proxy", slowDatabaseMS),
		func() {
			remove = toxics.Add(t, s.env.Proxy(harness.ProxyPostgres), toxics.Must(toxics.Latency(slowDatabaseMS, 0)))
		},
		func() { remove() },
		want{"MimoHighLatency", map[string]string{"job": harness.MimoJob, "severity": "warning"}})

	var (
		restore    func()
		stopWrites func() (sent, failed int)
		// Written by the writes' goroutine only, read once it has stopped.
		acked, queued []string
		writesFailed  int
	)
	s.phase(fmt.Sprintf("the postgres proxy cut, a memory written every %s", writeEvery),
		func() {
			restore = toxics.Cut(t, s.env.Proxy(harness.ProxyPostgres))
			stopWrites = traffic(t, writeEvery, func(ctx context.Context, i int) error {
				res, err := s.env.Client().Store(ctx, mimo.StoreRequest{Namespace: ns, Content: fmt.Sprintf("Note %d, written while the database was cut.", i)})
				if err != nil {
					return err
				}
				acked = append(acked, res.Memory.ID)
				if res.Queued {
					queued = append(queued, res.Memory.ID)
				}
				return nil
			})
		},
		// The writes stop before the database is back: every one of them
		// is queued, and the backlog ends only by the drain.
		func() { _, writesFailed = stopWrites(); restore() },
		want{"MimoHighErrorRate", map[string]string{"job": harness.MimoJob, "severity": "critical"}},
		want{"MimoCircuitBreakerOpen", map[string]string{"job": harness.MimoJob, "service": "db", "severity": "warning"}},
		want{"MimoSpoolBacklog", map[string]string{"job": harness.MimoJob, "severity": "warning"}},
		// Each queued write is a db/spooled fallback. Over the shortened
		// window one write in it is already above the threshold of 0.1 a
		// second (over the shipped 5 minutes it takes 30), so this alert
		// fires with the backlog's and resolves a window after the writes
		// stop.
		want{"MimoFallbackRateHigh", map[string]string{"job": harness.MimoJob, "service": "db", "reason": "spooled", "severity": "warning"}})

	rec.Measure("writes_acknowledged", float64(len(acked)), "count")
	rec.Measure("writes_queued", float64(len(queued)), "count")
	assert.Zero(t, writesFailed, "every write while the database is cut is acknowledged")
	assert.Equal(t, acked, queued, "every write while the database is cut is answered queued")
	require.NotEmpty(t, queued, "writes were queued")
	// The backlog's alert resolved because the spool drained into the
	// database, not because the writes were dropped.
	stored := map[string]bool{}
	for m, err := range s.env.Client().ListAll(context.Background(), mimo.ListQuery{Filter: mimo.Filter{Namespace: ns}}) {
		require.NoError(t, err)
		stored[m.ID] = true
	}
	for _, id := range queued {
		assert.True(t, stored[id], "queued write %s is in the database once the spool has drained", id)
	}

	sent, failed := stop()
	rec.Measure("requests_sent", float64(sent), "count")
	rec.Measure("requests_failed", float64(failed), "count")
	s.onlyDelivered("MimoHighLatency", "MimoHighErrorRate", "MimoCircuitBreakerOpen", "MimoSpoolBacklog", "MimoFallbackRateHigh")
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
