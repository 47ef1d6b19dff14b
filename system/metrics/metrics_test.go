package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/metrics"
)

// specMetrics is SPEC's "Metrics" table: name, type and label names.
var specMetrics = []struct {
	name   string
	typ    dto.MetricType
	labels []string
}{
	{"mimo_http_requests_total", dto.MetricType_COUNTER, []string{"route", "method", "code"}},
	{"mimo_http_request_duration_seconds", dto.MetricType_HISTOGRAM, []string{"route", "method"}},
	{"mimo_mcp_tool_calls_total", dto.MetricType_COUNTER, []string{"tool", "outcome"}},
	{"mimo_circuit_breaker_state", dto.MetricType_GAUGE, []string{"service"}},
	{"mimo_circuit_breaker_transitions_total", dto.MetricType_COUNTER, []string{"service", "to"}},
	{"mimo_fallback_triggered_total", dto.MetricType_COUNTER, []string{"service", "reason"}},
	{"mimo_cache_classifier_hits_total", dto.MetricType_COUNTER, nil},
	{"mimo_cache_classifier_misses_total", dto.MetricType_COUNTER, nil},
	{"mimo_embedding_duration_seconds", dto.MetricType_HISTOGRAM, []string{"provider"}},
	{"mimo_llm_duration_seconds", dto.MetricType_HISTOGRAM, []string{"provider"}},
	{"mimo_search_duration_seconds", dto.MetricType_HISTOGRAM, nil},
	{"mimo_memories", dto.MetricType_GAUGE, nil},
	{"mimo_spool_pending", dto.MetricType_GAUGE, nil},
	{"mimo_build_info", dto.MetricType_GAUGE, []string{"version"}},
}

// touch gives every labelled vector one child, because a vector without
// children is not gathered at all.
func touch(m *metrics.Metrics) {
	m.HTTPRequests.WithLabelValues("/api/memories", "POST", "201").Inc()
	m.HTTPDuration.WithLabelValues("/api/memories", "POST").Observe(0.002)
	m.MCPToolCalls.WithLabelValues("memory_store", "ok").Inc()
	m.BreakerTransition("llm", mimo.CircuitOpen)
	m.Fallbacks.WithLabelValues("llm", "circuit_open").Inc()
	m.EmbeddingDuration.WithLabelValues("builtin").Observe(0.0003)
	m.LLMDuration.WithLabelValues("ollama").Observe(1.5)
}

func gather(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	out := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func labelNames(m *dto.Metric) []string {
	var names []string
	for _, lp := range m.GetLabel() {
		names = append(names, lp.GetName())
	}
	return names
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

func TestEverySpecMetricIsRegisteredWithItsTypeAndLabels(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "1.2.3"})
	require.NotNil(t, m.Gatherer)
	touch(m)
	got := gather(t, m.Gatherer)

	for _, want := range specMetrics {
		t.Run(want.name, func(t *testing.T) {
			mf, ok := got[want.name]
			require.True(t, ok, "metric %s not gathered", want.name)
			assert.Equal(t, want.typ, mf.GetType())
			assert.NotEmpty(t, mf.GetHelp())
			require.NotEmpty(t, mf.GetMetric())
			for _, metric := range mf.GetMetric() {
				// Gathered labels are sorted by name.
				assert.ElementsMatch(t, want.labels, labelNames(metric))
			}
		})
	}
}

func TestGoAndProcessCollectorsAreRegistered(t *testing.T) {
	m := metrics.New(metrics.Options{})
	got := gather(t, m.Gatherer)
	assert.Contains(t, got, "go_goroutines")
	assert.Contains(t, got, "process_cpu_seconds_total")
}

func TestBuildInfoCarriesTheVersion(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"v0.3.1", "v0.3.1"},
		{"", "unknown"},
	} {
		m := metrics.New(metrics.Options{Version: tc.version})
		mf := gather(t, m.Gatherer)["mimo_build_info"]
		require.NotNil(t, mf)
		require.Len(t, mf.GetMetric(), 1)
		assert.Equal(t, map[string]string{"version": tc.want}, labelMap(mf.GetMetric()[0]))
		assert.Equal(t, 1.0, mf.GetMetric()[0].GetGauge().GetValue())
	}
}

func TestHistogramBucketsSpanSubMillisecondToTenSeconds(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.SearchDuration.Observe(0.00005)
	mf := gather(t, m.Gatherer)["mimo_search_duration_seconds"]
	require.NotNil(t, mf)
	buckets := mf.GetMetric()[0].GetHistogram().GetBucket()
	require.NotEmpty(t, buckets)
	assert.Less(t, buckets[0].GetUpperBound(), 0.001)
	assert.Equal(t, 10.0, buckets[len(buckets)-1].GetUpperBound())
	// The 50 µs observation lands in the first bucket.
	assert.Equal(t, uint64(1), buckets[0].GetCumulativeCount())
}

func TestTwoMetricsOnTwoRegistriesDoNotClash(t *testing.T) {
	r1, r2 := prometheus.NewRegistry(), prometheus.NewRegistry()
	var m1, m2 *metrics.Metrics
	require.NotPanics(t, func() {
		m1 = metrics.New(metrics.Options{Registerer: r1, Version: "a"})
		m2 = metrics.New(metrics.Options{Registerer: r2, Version: "b"})
	})
	m1.Memories.Set(7)
	m2.Memories.Set(9)

	g1, g2 := gather(t, r1), gather(t, r2)
	assert.Equal(t, 7.0, g1["mimo_memories"].GetMetric()[0].GetGauge().GetValue())
	assert.Equal(t, 9.0, g2["mimo_memories"].GetMetric()[0].GetGauge().GetValue())
	assert.Equal(t, "a", labelMap(g1["mimo_build_info"].GetMetric()[0])["version"])
	assert.Equal(t, "b", labelMap(g2["mimo_build_info"].GetMetric()[0])["version"])
	// An injected *prometheus.Registry is also the gatherer.
	assert.Same(t, r1, m1.Gatherer)
}

func TestTwoMetricsOnOneRegistryPanic(t *testing.T) {
	r := prometheus.NewRegistry()
	metrics.New(metrics.Options{Registerer: r})
	assert.Panics(t, func() { metrics.New(metrics.Options{Registerer: r}) })
}

func TestNilRegistererNeverUsesTheGlobalRegistry(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.Memories.Set(3)
	global := gather(t, prometheus.DefaultGatherer)
	assert.NotContains(t, global, "mimo_memories")
	assert.NotContains(t, global, "mimo_build_info")
}

func TestRegistererThatCannotGatherLeavesGathererNil(t *testing.T) {
	r := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWith(prometheus.Labels{"replica": "1"}, r)
	m := metrics.New(metrics.Options{Registerer: wrapped})
	assert.Nil(t, m.Gatherer)
	mf := gather(t, r)["mimo_build_info"]
	require.NotNil(t, mf)
	assert.Equal(t, "1", labelMap(mf.GetMetric()[0])["replica"])
}

func TestBreakerTransitionSetsGaugeAndCounts(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.SetBreakerState("db", mimo.CircuitClosed)
	m.BreakerTransition("db", mimo.CircuitOpen)
	m.BreakerTransition("db", mimo.CircuitHalfOpen)
	m.BreakerTransition("db", mimo.CircuitOpen)

	got := gather(t, m.Gatherer)
	states := map[string]float64{}
	for _, metric := range got["mimo_circuit_breaker_state"].GetMetric() {
		states[labelMap(metric)["service"]] = metric.GetGauge().GetValue()
	}
	assert.Equal(t, float64(mimo.CircuitOpen), states["db"])
	assert.Equal(t, float64(mimo.CircuitClosed), states["llm"], "another circuit is untouched")

	counts := map[string]float64{}
	for _, metric := range got["mimo_circuit_breaker_transitions_total"].GetMetric() {
		if l := labelMap(metric); l["service"] == "db" {
			counts[l["to"]] = metric.GetCounter().GetValue()
		}
	}
	// The initial state is set, not counted as a transition.
	assert.Equal(t, map[string]float64{"closed": 0, "open": 2, "half-open": 1}, counts)
}
