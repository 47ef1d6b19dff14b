package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// dashboardsDir is the repository's dashboards/, from this package's
// directory.
var dashboardsDir = filepath.Join("..", "..", "..", "dashboards")

// promql is Prometheus's own parser, for expressions and exposition lines.
var promql = parser.NewParser(parser.Options{})

// series is what one /metrics scrape exports: each sample's name (a
// histogram's _bucket, _sum and _count apart) with the label sets it has.
type series map[string][]labels.Labels

func scrape(t *testing.T, s *server) series {
	t.Helper()
	code, body := callRaw(t, "GET", s.URL+"/metrics", nil, nil)
	require.Equal(t, 200, code)
	out := series{}
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, "exposition line %q", line)
		ls, err := promql.ParseMetric(line[:i])
		require.NoError(t, err, "exposition line %q", line)
		name := ls.Get(model.MetricNameLabel)
		out[name] = append(out[name], ls)
	}
	return out
}

// alertExprs returns each alert's expression in alerts.yml by name.
func alertExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dashboardsDir, "prometheus", "alerts.yml"))
	require.NoError(t, err)
	var doc struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	out := map[string]string{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	require.NotEmpty(t, out, "no alert in alerts.yml")
	return out
}

// dashboardExprs returns each query of the committed Grafana dashboard, by
// panel title and query, with Grafana's $__rate_interval made a duration
// Prometheus parses (the $instance variable is already a valid string).
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dashboardsDir, "grafana", "dashboards", "mimo.json"))
	require.NoError(t, err)
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	out := map[string]string{}
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			out[p.Title+" "+q.RefID] = strings.ReplaceAll(q.Expr, "$__rate_interval", "1m")
		}
	}
	require.NotEmpty(t, out, "no query in the dashboard")
	return out
}

// TestEverySeriesTheAlertsAndTheDashboardNameIsExported parses every alert
// expression and every dashboard query with Prometheus's own parser and
// checks each series it selects against the /metrics of a live Mimo
// configured as a deployment is (a language model, here a stand-in): the
// series is exported, every label it matches on is one the series has (job
// and instance are Prometheus's), an equality matcher matches a series
// after the traffic below, and a negative matcher excludes one. Mimo's own
// series other than HTTP's must be there from start-up, before any
// request, or an alert could not fire on the first failure and a panel
// would show no data where it should show zero.
func TestEverySeriesTheAlertsAndTheDashboardNameIsExported(t *testing.T) {
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"At midnight [1]."}}]}`))
	}))
	defer llm.Close()
	s := startServer(t, map[string]string{"MIMO_LLM": "openai", "MIMO_LLM_URL": llm.URL + "/v1", "MIMO_LLM_MODEL": "tiny"})
	atStart := scrape(t, s)
	store(t, s.URL, "", "The backup job runs at midnight.", nil)
	code, _ := call(t, "POST", s.URL+"/api/search", map[string]any{"query": "backup"})
	require.Equal(t, 200, code)
	code, _ = call(t, "POST", s.URL+"/api/ask", map[string]any{"query": "When does the backup run?"})
	require.Equal(t, 200, code)
	live := scrape(t, s)

	exprs := map[string]string{}
	for name, e := range alertExprs(t) {
		exprs["alert "+name] = e
	}
	for name, e := range dashboardExprs(t) {
		exprs["panel "+name] = e
	}
	for name, expr := range exprs {
		t.Run(name, func(t *testing.T) {
			e, err := promql.ParseExpr(expr)
			require.NoError(t, err)
			var selectors []*parser.VectorSelector
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok {
					selectors = append(selectors, vs)
				}
				return nil
			})
			require.NotEmpty(t, selectors, "the expression selects no series")
			for _, vs := range selectors {
				if vs.Name == "up" {
					continue // made by Prometheus for every target
				}
				exported, ok := live[vs.Name]
				require.True(t, ok, "%s is not exported by Mimo", vs.Name)
				if strings.HasPrefix(vs.Name, "mimo_") && !strings.HasPrefix(vs.Name, "mimo_http_") {
					assert.Contains(t, atStart, vs.Name, "%s is not exported before the first request", vs.Name)
				}
				for _, m := range vs.LabelMatchers {
					if m.Name == model.MetricNameLabel || m.Name == "job" || m.Name == "instance" {
						continue
					}
					has, matches, excludes := false, false, false
					for _, ls := range exported {
						has = has || ls.Has(m.Name)
						matches = matches || m.Matches(ls.Get(m.Name))
						excludes = excludes || !m.Matches(ls.Get(m.Name))
					}
					assert.True(t, has, "%s has no label %s", vs.Name, m.Name)
					switch m.Type {
					case labels.MatchEqual:
						assert.True(t, matches, "%s matches no series of %s", m, vs.Name)
					case labels.MatchNotEqual, labels.MatchNotRegexp:
						assert.True(t, excludes, "%s excludes no series of %s", m, vs.Name)
					}
				}
			}
		})
	}
}
