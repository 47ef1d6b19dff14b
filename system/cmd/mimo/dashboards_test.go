package main

import (
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

// TestEverySeriesTheAlertsNameIsExported parses every alert expression with
// Prometheus's own parser and checks each series it selects against a live
// Mimo's /metrics: the series is exported, every label it matches on is one
// the series has (job and instance are Prometheus's), and a negative matcher
// excludes a value Mimo really exports. The alerts that watch circuits,
// fallbacks, the spool and memory must see their series from start-up,
// before any request, or they could not fire on the first failure.
func TestEverySeriesTheAlertsNameIsExported(t *testing.T) {
	s := startServer(t, nil)
	atStart := scrape(t, s)
	code, _ := call(t, "POST", s.URL+"/api/search", map[string]any{"query": "anything"})
	require.Equal(t, 200, code)
	live := scrape(t, s)

	for alert, expr := range alertExprs(t) {
		t.Run(alert, func(t *testing.T) {
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
				if !strings.HasPrefix(vs.Name, "mimo_http_") {
					assert.Contains(t, atStart, vs.Name, "%s is not exported before the first request", vs.Name)
				}
				for _, m := range vs.LabelMatchers {
					if m.Name == model.MetricNameLabel || m.Name == "job" || m.Name == "instance" {
						continue
					}
					has, excludes := false, false
					for _, ls := range exported {
						has = has || ls.Has(m.Name)
						excludes = excludes || !m.Matches(ls.Get(m.Name))
					}
					assert.True(t, has, "%s has no label %s", vs.Name, m.Name)
					if m.Type == labels.MatchNotEqual || m.Type == labels.MatchNotRegexp {
						assert.True(t, excludes, "%s excludes no series of %s", m, vs.Name)
					}
				}
			}
		})
	}
}
