package load

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestThresholdGrammar(t *testing.T) {
	cases := []struct {
		src   string
		agg   string
		value float64 // an aggregate to compare
		holds bool
	}{
		{"p(95)<500", "p(95)", 499.9, true},
		{"p(95)<500", "p(95)", 500, false},
		{"p(99.9) <= 1000", "p(99.9)", 1000, true},
		{"p( 90 )>1", "p(90)", 1, false},
		{"avg>=10", "avg", 10, true},
		{"min > 0", "min", 0, false},
		{"max<2e3", "max", 1999, true},
		{"med==5", "med", 5, true},
		{"med===5", "med", 5.1, false},
		{"count!=0", "count", 0, false},
		{"count>=100", "count", 150, true},
		{"rate<0.01", "rate", 0.0099, true},
		{"rate<0.01", "rate", 0.01, false},
		{"value>-1", "value", -0.5, true},
		{"  rate  <  .5 ", "", 0, false}, // no leading digit: rejected below
	}
	for _, c := range cases {
		th, err := ParseThreshold(c.src)
		if c.agg == "" {
			assert.Error(t, err, c.src)
			continue
		}
		require.NoError(t, err, c.src)
		assert.Equal(t, c.agg, th.Aggregate(), c.src)
		assert.Equal(t, c.holds, th.holds(c.value), "%s with %v", c.src, c.value)
	}
	for _, bad := range []string{"", "p95<500", "p(101)<1", "avg<", "<5", "avg<<5", "mean<5", "avg~5", "rate<0.01 extra"} {
		_, err := ParseThreshold(bad)
		assert.Error(t, err, bad)
	}
}

func TestThresholdAggregationsPerMetricType(t *testing.T) {
	valid := map[MetricType][]string{
		Counter: {"count", "rate"},
		Gauge:   {"value"},
		Rate:    {"rate"},
		Trend:   {"avg", "min", "max", "med", "p(95)"},
	}
	all := []string{"count", "rate", "value", "avg", "min", "max", "med", "p(95)"}
	for typ, ok := range valid {
		for _, agg := range all {
			th, err := ParseThreshold(agg + "<1")
			require.NoError(t, err)
			assert.Equal(t, contains(ok, agg), th.validFor(typ), "%s on a %s", agg, typ)
		}
	}
}

func TestThresholdsOnMetricsAndSubmetrics(t *testing.T) {
	reg := NewRegistry()
	dur := reg.Get("http_req_duration")
	ts, err := newThresholds(reg, map[string][]ThresholdSpec{
		"http_req_duration":                   {{Threshold: "p(95)<100"}},
		"http_req_duration{scenario:readers}": {{Threshold: "max<50", AbortOnFail: true}},
		"http_req_duration{scenario:nobody}":  {{Threshold: "max<1"}},
		"iterations":                          {{Threshold: "count>=3"}},
	})
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		reg.Push(Sample{Metric: dur, Value: 10, Tags: Tags{"scenario": "writers"}})
	}
	reg.Push(Sample{Metric: dur, Value: 40, Tags: Tags{"scenario": "readers", "group": ""}})
	crossed, abort := ts.evaluate(time.Second)
	assert.False(t, crossed, "a metric with no samples (iterations) crosses none of its thresholds")
	assert.False(t, abort)
	it := reg.Get("iterations")
	for i := 0; i < 3; i++ {
		reg.Push(Sample{Metric: it, Value: 1, Tags: Tags{}})
	}
	crossed, abort = ts.evaluate(time.Second)
	assert.False(t, crossed)
	assert.False(t, abort)

	reg.Push(Sample{Metric: dur, Value: 60, Tags: Tags{"scenario": "readers"}})
	crossed, abort = ts.evaluate(time.Second)
	assert.True(t, crossed, "the readers' max is 60")
	assert.True(t, abort, "that threshold has abortOnFail")
	for _, mt := range ts.Metrics {
		for _, th := range mt.List {
			assert.Equal(t, mt.Name == "http_req_duration{scenario:readers}", th.Crossed(), mt.Name)
		}
	}
}

func TestThresholdsRejectUnknownMetricsAndWrongAggregations(t *testing.T) {
	reg := NewRegistry()
	_, err := newThresholds(reg, map[string][]ThresholdSpec{"no_such_metric": {{Threshold: "count>0"}}})
	assert.Error(t, err)
	_, err = newThresholds(reg, map[string][]ThresholdSpec{"http_req_failed": {{Threshold: "p(95)<1"}}})
	assert.ErrorContains(t, err, "a rate metric has no p(95)")
	_, err = newThresholds(reg, map[string][]ThresholdSpec{"http_reqs": {{Threshold: "bogus"}}})
	assert.Error(t, err)
}

func TestTrendPercentilesMatchExactOnesClosely(t *testing.T) {
	s := newTrendSink()
	vals := make([]float64, 0, 20000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		v := r.ExpFloat64() * 100 // milliseconds, long-tailed
		vals = append(vals, v)
		s.add(v)
	}
	for _, q := range []float64{50, 90, 95, 99} {
		exact := exactPercentile(vals, q)
		got, ok := s.value(percentileName(q), 0)
		require.True(t, ok)
		assert.InEpsilon(t, exact, got, 0.002, "p(%v)", q)
	}
	minV, _ := s.value("min", 0)
	maxV, _ := s.value("max", 0)
	p0, _ := s.value("p(0)", 0)
	p100, _ := s.value("p(100)", 0)
	assert.Equal(t, minV, p0)
	assert.Equal(t, maxV, p100)
}
