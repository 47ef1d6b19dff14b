package mimoclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"sort"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	mimo "mimo/system"
)

// Sample is one series of a metrics exposition as Prometheus stores it:
// a histogram family "x" becomes the samples x_bucket (with label "le"),
// x_sum and x_count; a summary becomes x (with label "quantile"), x_sum
// and x_count; a counter, gauge or untyped metric is one sample under its
// own name.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Metrics is one parsed metrics exposition, flattened into samples.
type Metrics struct {
	Samples []Sample
}

// ParseMetrics parses the Prometheus text exposition format (what GET
// /metrics answers). Metric and label names may use the UTF-8 names of
// newer exposition versions; the classic names are a subset of those.
// A malformed exposition is an error.
func ParseMetrics(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return Metrics{}, fmt.Errorf("parsing metrics: %w", err)
	}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	var m Metrics
	for _, n := range names {
		m.Samples = append(m.Samples, flatten(fams[n])...)
	}
	return m, nil
}

func flatten(f *dto.MetricFamily) []Sample {
	name := f.GetName()
	var out []Sample
	for _, mt := range f.GetMetric() {
		labels := map[string]string{}
		for _, lp := range mt.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		with := func(k, v string) map[string]string {
			l := maps.Clone(labels)
			l[k] = v
			return l
		}
		switch {
		case mt.Counter != nil:
			out = append(out, Sample{name, labels, mt.Counter.GetValue()})
		case mt.Gauge != nil:
			out = append(out, Sample{name, labels, mt.Gauge.GetValue()})
		case mt.Untyped != nil:
			out = append(out, Sample{name, labels, mt.Untyped.GetValue()})
		case mt.Histogram != nil:
			h := mt.Histogram
			infSeen := false
			for _, b := range h.GetBucket() {
				if math.IsInf(b.GetUpperBound(), +1) {
					infSeen = true
				}
				out = append(out, Sample{name + "_bucket", with("le", formatFloat(b.GetUpperBound())), float64(b.GetCumulativeCount())})
			}
			// A +Inf bucket is implied by the count when an exposition
			// leaves it out; add it so bucket queries see every bound.
			if !infSeen {
				out = append(out, Sample{name + "_bucket", with("le", "+Inf"), float64(h.GetSampleCount())})
			}
			out = append(out,
				Sample{name + "_sum", labels, h.GetSampleSum()},
				Sample{name + "_count", labels, float64(h.GetSampleCount())})
		case mt.Summary != nil:
			s := mt.Summary
			for _, q := range s.GetQuantile() {
				out = append(out, Sample{name, with("quantile", formatFloat(q.GetQuantile())), q.GetValue()})
			}
			out = append(out,
				Sample{name + "_sum", labels, s.GetSampleSum()},
				Sample{name + "_count", labels, float64(s.GetSampleCount())})
		}
	}
	return out
}

func formatFloat(f float64) string {
	if math.IsInf(f, +1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// Value returns the sample name whose labels are exactly labels (nil means
// no labels), and false when there is none. To add up series that share
// some labels, use Sum.
func (m Metrics) Value(name string, labels map[string]string) (float64, bool) {
	for _, s := range m.Samples {
		if s.Name == name && len(s.Labels) == len(labels) && hasLabels(s.Labels, labels) {
			return s.Value, true
		}
	}
	return 0, false
}

// Sum adds up every sample name that carries all of labels (and any
// others); nil labels sums the whole metric. n is how many samples
// matched, so a caller can tell a zero sum from no series at all.
func (m Metrics) Sum(name string, labels map[string]string) (sum float64, n int) {
	for _, s := range m.Samples {
		if s.Name == name && hasLabels(s.Labels, labels) {
			sum += s.Value
			n++
		}
	}
	return sum, n
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Circuit returns the state of service's breaker from the gauge
// mimo_circuit_breaker_state{service=…}; ok is false when Mimo exports no
// such series or its value names no state.
func (m Metrics) Circuit(service string) (state mimo.CircuitState, ok bool) {
	v, ok := m.Value("mimo_circuit_breaker_state", map[string]string{"service": service})
	if !ok {
		return 0, false
	}
	state = mimo.CircuitState(v)
	if _, err := mimo.ParseCircuitState(state.String()); err != nil || float64(state) != v {
		return 0, false
	}
	return state, true
}

// Metrics fetches and parses Mimo's GET /metrics. A failure to reach Mimo,
// a status other than 200, or an exposition that does not parse is an
// error.
func (c *Client) Metrics(ctx context.Context) (Metrics, error) {
	r, err := c.Do(ctx, http.MethodGet, "/metrics", nil)
	if err != nil {
		return Metrics{}, err
	}
	if r.Status != http.StatusOK {
		return Metrics{}, fmt.Errorf("GET /metrics: HTTP %d", r.Status)
	}
	return ParseMetrics(bytes.NewReader(r.Body))
}
