package monitoring

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/dashboards/grafana"
	"mimo/harness"
	"mimo/harness/mimoclient"
	"mimo/harness/record"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

// rateInterval stands for Grafana's $__rate_interval: long enough to hold
// a few scrapes of the traffic the scenario sends, short enough that the
// rates are of that traffic.
const rateInterval = "30s"

// panelStep is the resolution at which the panels' series are recorded,
// and panelPoints how many points each panel draws at least before it is.
const (
	panelStep   = time.Second
	panelPoints = 8
)

// dashboardQueries is every query of the dashboard (grafana.Queries, from
// the generator a test keeps equal to the committed mimo.json), with
// Grafana's variables replaced as Grafana would: every instance, and
// rateInterval.
func dashboardQueries(t *testing.T) []grafana.Query {
	t.Helper()
	qs, err := grafana.Queries()
	require.NoError(t, err)
	require.NotEmpty(t, qs)
	vars := strings.NewReplacer(`$__rate_interval`, rateInterval, `$instance`, `.*`)
	for i := range qs {
		qs[i].Expr = vars.Replace(qs[i].Expr)
	}
	return qs
}

// hasData holds when a query returns at least one series and every value
// is a number: a quantile or ratio of nothing is NaN, which Grafana shows
// as no data.
func hasData(v model.Vector) bool {
	for _, s := range v {
		if math.IsNaN(float64(s.Value)) {
			return false
		}
	}
	return len(v) > 0
}

func TestEveryDashboardPanelsQueryReturnsDataFromPrometheusAfterTraffic(t *testing.T) {
	t.Parallel()
	rec := record.New(t, "After traffic (stores, searches, questions asked twice, a 404 and a 503), every query of every panel of the Grafana dashboard, and its instance variable's, returns data from the harness's Prometheus")
	env := harness.Start(t, harness.Options{Record: rec, Prometheus: true})
	ctx := context.Background()
	c := env.Client()
	const ns = "monitoring-dashboard"
	m, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The load balancer drains a node for thirty seconds before a deploy."})
	require.NoError(t, err)

	// One server error, so the error ratio has a 5xx series to divide.
	restore := toxics.Cut(t, env.Proxy(harness.ProxyPostgres))
	// A memory no one stored: the read cache cannot serve it either.
	r, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, "0190a0a0-0000-7000-8000-000000000000"), nil)
	require.NoError(t, err)
	harness.AssertAPIError(t, "a read the cache cannot serve, with the database cut", r, http.StatusServiceUnavailable, mimo.EUNAVAILABLE)
	restore()
	harness.WaitFor(t, seenWithin, "a read to succeed with the database back", func() (bool, string) {
		_, err := c.Get(ctx, ns, m.Memory.ID)
		return err == nil, fmt.Sprint(err)
	})

	questions := []string{"How long is a node drained?", "What happens before a deploy?"}
	stop := traffic(t, every, func(ctx context.Context, i int) error {
		c := env.Client()
		if _, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: fmt.Sprintf("Deploy note %d: the node was drained first.", i)}); err != nil {
			return err
		}
		if _, err := c.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: "drained node"}); err != nil {
			return err
		}
		if _, err := c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: questions[i%len(questions)]}); err != nil {
			return err
		}
		_, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, "no-such-memory"), nil)
		return err
	})

	began := time.Now()
	queries := dashboardQueries(t)
	for _, q := range queries {
		v := env.WaitForQuery(t, q.Expr, hasData, seenWithin)
		assert.True(t, hasData(v))
		rec.Evidence("metrics", fmt.Sprintf("%s %s: %s → %s", q.Panel, q.RefID, q.Expr, strings.ReplaceAll(v.String(), "\n", "; ")))
	}
	rec.Measure("dashboard_queries_with_data", float64(len(queries)), "count")
	recordPanels(t, rec, env, queries, began.Add(-time.Minute))
	rec.Measure("all_queries_with_data_after", time.Since(began).Seconds(), "s")
	sent, failed := stop()
	rec.Measure("traffic_rounds", float64(sent), "count")
	assert.Zero(t, failed, "every round of traffic answered")
}

// recordPanels records what each dashboard query draws from start on, as
// the report re-draws the dashboard's panels without Grafana: a series per
// query named "panel <title> <refID>", each point labelled with the label
// set of the Prometheus series it belongs to. It waits, while the traffic
// goes on, until each query has drawn at least panelPoints points: a panel
// of one point is no line.
func recordPanels(t *testing.T, rec *record.Recorder, env *harness.Env, queries []grafana.Query, start time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, q := range queries {
		var drawn []record.Point
		harness.WaitFor(t, seenWithin, fmt.Sprintf("%s %s to draw %d points", q.Panel, q.RefID, panelPoints), func() (bool, string) {
			m, err := env.Prometheus().QueryRange(ctx, q.Expr, start, time.Now(), panelStep)
			if err != nil {
				return false, err.Error()
			}
			drawn = drawn[:0]
			for _, s := range m {
				label := s.Metric.String()
				for _, v := range s.Values {
					if !math.IsNaN(float64(v.Value)) {
						drawn = append(drawn, record.Point{T: v.Timestamp.Time(), V: float64(v.Value), Label: label})
					}
				}
			}
			return len(drawn) >= panelPoints, fmt.Sprintf("%d points in %d series", len(drawn), len(m))
		})
		name := fmt.Sprintf("panel %s %s", q.Panel, q.RefID)
		for _, p := range drawn {
			rec.AddPoint(name, p)
		}
	}
}
