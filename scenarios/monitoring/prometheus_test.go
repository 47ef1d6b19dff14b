// Package monitoring is the validation scenario of Mimo seen from a real
// Prometheus: the harness's Prometheus container scrapes Mimo every second
// on the private network, and the scenario reads what it stored through
// Prometheus's query API.
package monitoring

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/alertmanager"
	"mimo/harness/latency"
	"mimo/harness/record"
	mimo "mimo/system"
)

// seenWithin bounds how long a change may take to reach Prometheus: a few
// scrape intervals. The waits end as soon as it arrives.
const seenWithin = 30 * time.Second

// stores is how many memories the scenario stores between two readings.
const stores = 20

const (
	upQuery     = `up{job="mimo"}`
	storesQuery = `sum(mimo_http_requests_total{job="mimo",route="/api/memories",method="POST"}) or vector(0)`
)

func TestPrometheusSeesMimoUpAndItsRequestCounterRising(t *testing.T) {
	t.Parallel()
	rec := record.New(t, `Prometheus scrapes Mimo (up{job="mimo"} == 1), sees its request counter rise by exactly the requests served, and sees it down when it is killed and up again when it is back`)
	env := harness.Start(t, harness.Options{Prometheus: true, Record: rec})
	ctx := context.Background()

	start := time.Now()
	env.WaitForQuery(t, upQuery, upIs(1), seenWithin)
	rec.Measure("first_scrape_after_start", latency.MS(time.Since(start)), "ms")
	rec.Observe("up", 1, "up")

	base := scalar(env.WaitForQuery(t, storesQuery, oneSample, seenWithin))
	c := env.Client()
	for i := range stores {
		_, err := c.Store(ctx, mimo.StoreRequest{
			Namespace: "monitoring",
			Content:   fmt.Sprintf("Monitoring scenario note %d: the scrape sees this store", i),
		})
		require.NoError(t, err)
	}
	stored := time.Now()
	want := base + stores
	got := scalar(env.WaitForQuery(t, storesQuery, func(v model.Vector) bool {
		return oneSample(v) && scalar(v) >= want
	}, seenWithin))
	rec.Measure("stores_seen_after", latency.MS(time.Since(stored)), "ms")
	require.Equal(t, want, got, "Prometheus counts each store once")

	own, err := env.Metrics(ctx)
	require.NoError(t, err)
	direct, _ := own.Sum("mimo_http_requests_total", map[string]string{"route": "/api/memories", "method": "POST"})
	require.Equal(t, direct, got, "Prometheus's figure is Mimo's own")
	rec.Measure("store_requests_counted", got-base, "count")
	rec.Evidence("metrics", fmt.Sprintf("%s went from %g to %g after %d stores; Mimo's /metrics says %g", storesQuery, base, got, stores, direct))

	env.Kill(harness.Mimo)
	killed := time.Now()
	env.WaitForQuery(t, upQuery, upIs(0), seenWithin)
	rec.Measure("down_seen_after", latency.MS(time.Since(killed)), "ms")
	rec.Observe("up", 0, "down")

	env.StartContainer(harness.Mimo)
	back := time.Now()
	env.WaitForQuery(t, upQuery, upIs(1), seenWithin)
	rec.Measure("up_again_seen_after", latency.MS(time.Since(back)), "ms")
	rec.Observe("up", 1, "up")
	rec.Evidence("note", "up{job=\"mimo\"} went 1 → 0 after SIGKILL → 1 after the container was started again")
}

// upIs holds when the vector is exactly one series with value want.
func upIs(want float64) func(model.Vector) bool {
	return func(v model.Vector) bool { return oneSample(v) && float64(v[0].Value) == want }
}

func oneSample(v model.Vector) bool { return len(v) == 1 }

func scalar(v model.Vector) float64 {
	if len(v) == 0 {
		return 0
	}
	return float64(v[0].Value)
}

func TestPrometheusSendsItsAlertsToAlertmanager(t *testing.T) {
	t.Parallel()
	rec := record.New(t, "With Alertmanager asked for, Prometheus has it as its active Alertmanager, and an alert Alertmanager gets reaches the harness's receiver")
	env := harness.Start(t, harness.Options{Alertmanager: true, Record: rec})
	ctx := context.Background()

	var active []string
	harness.WaitFor(t, seenWithin, "Prometheus to discover Alertmanager", func() (bool, string) {
		res, err := env.Prometheus().API().AlertManagers(ctx)
		if err != nil {
			return false, err.Error()
		}
		active = active[:0]
		for _, am := range res.Active {
			active = append(active, am.URL)
		}
		return len(active) == 1, fmt.Sprintf("active %v, dropped %v", active, res.Dropped)
	})
	assert.Contains(t, active[0], "alertmanager:9093", "the harness's Alertmanager, by its name on the network")

	fired := time.Now()
	require.NoError(t, env.Alertmanager().Fire(ctx, map[string]string{"alertname": "HarnessCheck", "severity": "none"}))
	var got []alertmanager.Notification
	harness.WaitFor(t, seenWithin, "the HarnessCheck notification at the receiver", func() (bool, string) {
		var err error
		if got, err = env.Notifications(ctx); err != nil {
			return false, err.Error()
		}
		return len(got) > 0, fmt.Sprintf("%d notifications", len(got))
	})
	rec.Measure("notified_after", latency.MS(time.Since(fired)), "ms")
	require.Len(t, got, 1, "one alert, one notification")
	assert.Equal(t, alertmanager.Receiver, got[0].Receiver)
	assert.Equal(t, "firing", got[0].Status)
	require.Len(t, got[0].Alerts, 1)
	assert.Equal(t, "HarnessCheck", got[0].Alerts[0].Labels["alertname"])
	alerts, err := env.Alertmanager().Alerts(ctx)
	require.NoError(t, err)
	require.Len(t, alerts, 1, "Alertmanager holds the alert")
	require.Len(t, alerts[0].Receivers, 1)
	assert.Equal(t, alertmanager.Receiver, alerts[0].Receivers[0].Name)
	rec.Evidence("note", fmt.Sprintf("Prometheus's active Alertmanagers: %v; the receiver %q got %d notification(s) for HarnessCheck", active, got[0].Receiver, len(got)))
}
