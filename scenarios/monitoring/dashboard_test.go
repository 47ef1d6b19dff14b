package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
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

// panelQuery is one query of the dashboard, as Prometheus gets it.
type panelQuery struct {
	panel, ref, expr string
}

// dashboardQueries reads the dashboard Grafana is given (the generator's
// JSON, which a test keeps equal to the committed mimo.json) and returns
// every panel's queries and the instance variable's, with Grafana's
// variables replaced as Grafana would: every instance, and rateInterval.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	b, err := grafana.JSON()
	require.NoError(t, err)
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	grafanaVars := strings.NewReplacer(`$__rate_interval`, rateInterval, `$instance`, `.*`)
	var out []panelQuery
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			out = append(out, panelQuery{p.Title, q.RefID, grafanaVars.Replace(q.Expr)})
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.+), \w+\)$`)
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(string); ok {
			if m := labelValues.FindStringSubmatch(q); m != nil {
				out = append(out, panelQuery{"variable " + v.Name, "", m[1]})
			}
		}
	}
	require.NotEmpty(t, out)
	return out
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
	r, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, m.Memory.ID), nil)
	require.NoError(t, err)
	harness.AssertAPIError(t, "a read with the database cut", r, http.StatusServiceUnavailable, mimo.EUNAVAILABLE)
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
		v := env.WaitForQuery(t, q.expr, hasData, seenWithin)
		assert.True(t, hasData(v))
		rec.Evidence("metrics", fmt.Sprintf("%s %s: %s → %s", q.panel, q.ref, q.expr, strings.ReplaceAll(v.String(), "\n", "; ")))
	}
	rec.Measure("dashboard_queries_with_data", float64(len(queries)), "count")
	rec.Measure("all_queries_with_data_after", time.Since(began).Seconds(), "s")
	sent, failed := stop()
	rec.Measure("traffic_rounds", float64(sent), "count")
	assert.Zero(t, failed, "every round of traffic answered")
}
