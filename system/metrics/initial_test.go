package metrics_test

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/metrics"
)

func TestSeriesWithKnownLabelsArePresentAtZeroFromStartUp(t *testing.T) {
	m := metrics.New(metrics.Options{EmbedProvider: "builtin", LLMProvider: "openai"})
	got := gather(t, m.Gatherer)

	states := map[string]float64{}
	for _, metric := range got["mimo_circuit_breaker_state"].GetMetric() {
		states[labelMap(metric)["service"]] = metric.GetGauge().GetValue()
	}
	assert.Equal(t, map[string]float64{"llm": 0, "embedder": 0, "db": 0}, states, "every circuit closed")

	transitions := map[[2]string]float64{}
	for _, metric := range got["mimo_circuit_breaker_transitions_total"].GetMetric() {
		l := labelMap(metric)
		transitions[[2]string{l["service"], l["to"]}] = metric.GetCounter().GetValue()
	}
	want := map[[2]string]float64{}
	for _, service := range []string{"llm", "embedder", "db"} {
		for _, to := range []mimo.CircuitState{mimo.CircuitClosed, mimo.CircuitHalfOpen, mimo.CircuitOpen} {
			want[[2]string{service, to.String()}] = 0
		}
	}
	assert.Equal(t, want, transitions)

	fallbacks := map[metrics.Fallback]float64{}
	for _, metric := range got["mimo_fallback_triggered_total"].GetMetric() {
		l := labelMap(metric)
		fallbacks[metrics.Fallback{Service: l["service"], Reason: l["reason"]}] = metric.GetCounter().GetValue()
	}
	assert.Len(t, fallbacks, len(metrics.Fallbacks))
	for _, f := range metrics.Fallbacks {
		v, ok := fallbacks[f]
		assert.True(t, ok, "fallback %v not exported", f)
		assert.Zero(t, v, "fallback %v", f)
	}

	for name, provider := range map[string]string{
		"mimo_embedding_duration_seconds": "builtin",
		"mimo_llm_duration_seconds":       "openai",
	} {
		mf := got[name]
		require.NotNil(t, mf, name)
		require.Len(t, mf.GetMetric(), 1, name)
		assert.Equal(t, map[string]string{"provider": provider}, labelMap(mf.GetMetric()[0]), name)
		assert.Zero(t, mf.GetMetric()[0].GetHistogram().GetSampleCount(), name)
	}

	for _, name := range []string{
		"mimo_spool_pending", "mimo_memories", "mimo_search_duration_seconds",
		"mimo_cache_classifier_hits_total", "mimo_cache_classifier_misses_total",
	} {
		assert.Contains(t, got, name)
	}
}

func TestNoProviderConfiguredExportsNoProviderSeries(t *testing.T) {
	got := gather(t, metrics.New(metrics.Options{}).Gatherer)
	assert.NotContains(t, got, "mimo_embedding_duration_seconds")
	assert.NotContains(t, got, "mimo_llm_duration_seconds")
}

func TestTheFirstTransitionCountsFromTheInitialZero(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.BreakerTransition("llm", mimo.CircuitOpen)
	got := gather(t, m.Gatherer)
	for _, metric := range got["mimo_circuit_breaker_transitions_total"].GetMetric() {
		l := labelMap(metric)
		want := 0.0
		if l["service"] == "llm" && l["to"] == "open" {
			want = 1
		}
		assert.Equal(t, want, metric.GetCounter().GetValue(), "%v", l)
	}
}

// TestFallbacksAreTheOnesMemoryCounts reads package memory's source: every
// call of its fallback method names a service and a reason, each a string
// literal or a constant, or a variable of reasons, which may hold any of the
// package's reason… constants. The pairs found must be metrics.Fallbacks,
// no more and no fewer, so that a new fallback is exported at zero too.
func TestFallbacksAreTheOnesMemoryCounts(t *testing.T) {
	dir := filepath.Join("..", "memory")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		require.NoError(t, err)
		files = append(files, f)
	}

	consts := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name] = constant.StringVal(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
						}
					}
				}
			}
		}
	}
	var reasons []string
	for name, v := range consts {
		if strings.HasPrefix(name, "reason") {
			reasons = append(reasons, v)
		}
	}
	values := func(e ast.Expr) []string {
		switch e := e.(type) {
		case *ast.BasicLit:
			return []string{constant.StringVal(constant.MakeFromLiteral(e.Value, e.Kind, 0))}
		case *ast.Ident:
			if v, ok := consts[e.Name]; ok {
				return []string{v}
			}
			if e.Name == "reason" {
				return reasons
			}
		}
		t.Fatalf("%s: a fallback's label is neither a string, a constant nor a reason variable", fset.Position(e.Pos()))
		return nil
	}

	found := map[metrics.Fallback]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "fallback" || len(call.Args) < 4 {
				return true
			}
			for _, service := range values(call.Args[2]) {
				for _, reason := range values(call.Args[3]) {
					found[metrics.Fallback{Service: service, Reason: reason}] = true
				}
			}
			return true
		})
	}
	require.NotEmpty(t, found, "no fallback call found in package memory")
	var got []metrics.Fallback
	for f := range found {
		got = append(got, f)
	}
	assert.ElementsMatch(t, metrics.Fallbacks, got)
}
