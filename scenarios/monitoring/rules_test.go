package monitoring

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// alertsFile is the rules Mimo ships.
var alertsFile = filepath.Join("..", "..", "dashboards", "prometheus", "alerts.yml")

// shape is what of an expression ShortRules must keep: its numbers (the
// thresholds and quantiles), its selectors, and the ranges it has.
type shape struct {
	numbers   []float64
	selectors []string
	ranges    []time.Duration
}

func shapeOf(t *testing.T, expr string) shape {
	t.Helper()
	e, err := promql.ParseExpr(expr)
	require.NoError(t, err, expr)
	var s shape
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.NumberLiteral:
			s.numbers = append(s.numbers, n.Val)
		case *parser.VectorSelector:
			s.selectors = append(s.selectors, n.String())
		case *parser.MatrixSelector:
			s.ranges = append(s.ranges, n.Range)
		case *parser.SubqueryExpr:
			s.ranges = append(s.ranges, n.Range)
		}
		return nil
	})
	return s
}

func TestShortRulesShortenWaitsAndWindowsAndKeepThresholds(t *testing.T) {
	shipped, err := os.ReadFile(alertsFile)
	require.NoError(t, err)
	const pending, window = 4 * time.Second, 10 * time.Second
	short, err := ShortRules(shipped, pending, window)
	require.NoError(t, err)

	before, err := parseRules(shipped)
	require.NoError(t, err)
	after, err := parseRules([]byte(short))
	require.NoError(t, err, short)
	require.Len(t, after.Groups, len(before.Groups))
	windows := 0
	for gi, g := range before.Groups {
		require.Len(t, after.Groups[gi].Rules, len(g.Rules))
		for ri, was := range g.Rules {
			now := after.Groups[gi].Rules[ri]
			t.Run(was.Alert, func(t *testing.T) {
				assert.Equal(t, was.Alert, now.Alert)
				assert.Equal(t, was.Labels, now.Labels)
				assert.Equal(t, was.Annotations, now.Annotations)
				require.NotZero(t, was.For, "every shipped alert waits before firing")
				assert.Equal(t, pending, time.Duration(now.For))
				wasShape, nowShape := shapeOf(t, was.Expr), shapeOf(t, now.Expr)
				assert.Equal(t, wasShape.numbers, nowShape.numbers, "thresholds kept")
				assert.Equal(t, wasShape.selectors, nowShape.selectors, "series kept")
				require.Len(t, nowShape.ranges, len(wasShape.ranges))
				for i, r := range nowShape.ranges {
					assert.Equal(t, window, r, "range %d (was %s)", i, wasShape.ranges[i])
					windows++
				}
			})
		}
	}
	assert.Positive(t, windows, "the shipped alerts have range windows to shorten")
}

func TestShortRulesRefusesWhatItCannotKeep(t *testing.T) {
	for name, yml := range map[string]string{
		"a bad expression": "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: rate(up[5m]\n",
		"no expression":    "groups:\n  - name: x\n    rules:\n      - alert: Bad\n",
		"an unknown field": "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: up == 0\n        keep_firing_for: 1m\n",
	} {
		_, err := ShortRules([]byte(yml), time.Second, time.Second)
		assert.Error(t, err, name)
	}
}
