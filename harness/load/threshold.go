package load

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Threshold is one pass/fail criterion in k6's grammar, "AGG OP VALUE": AGG one of avg,
// min, max, med, p(N), count, rate, value (which ones depends on the metric's type, as in
// k6); OP one of < <= > >= == === !=.
type Threshold struct {
	Source         string        // as written, e.g. "p(95)<500"
	AbortOnFail    bool          // stop the whole test as soon as it is crossed
	DelayAbortEval time.Duration // do not abort on it before this much of the test has run

	agg   string
	op    string
	bound float64
	// crossed is the result of the last evaluation; guarded by the Thresholds' owner.
	crossed bool
	last    float64
}

var thresholdRe = regexp.MustCompile(`^\s*(avg|min|max|med|count|rate|value|p\(\s*[0-9]+(?:\.[0-9]+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*$`)

// ParseThreshold parses a threshold expression such as "p(95)<500" or "rate < 0.01".
func ParseThreshold(src string) (*Threshold, error) {
	m := thresholdRe.FindStringSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("threshold %q: expected AGGREGATION OPERATOR NUMBER, e.g. 'p(95)<500'", src)
	}
	bound, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return nil, fmt.Errorf("threshold %q: %v", src, err)
	}
	agg := m[1]
	if strings.HasPrefix(agg, "p(") {
		q, ok := trendAgg(agg)
		if !ok {
			return nil, fmt.Errorf("threshold %q: a percentile is between 0 and 100", src)
		}
		agg = "p(" + strconv.FormatFloat(q, 'f', -1, 64) + ")"
	}
	return &Threshold{Source: src, agg: agg, op: m[2], bound: bound}, nil
}

// holds says whether the aggregate value v satisfies the threshold.
func (t *Threshold) holds(v float64) bool {
	switch t.op {
	case "<":
		return v < t.bound
	case "<=":
		return v <= t.bound
	case ">":
		return v > t.bound
	case ">=":
		return v >= t.bound
	case "==", "===":
		return v == t.bound
	default:
		return v != t.bound
	}
}

// validFor says whether the threshold's aggregation exists for a metric of type typ.
func (t *Threshold) validFor(typ MetricType) bool {
	switch typ {
	case Counter:
		return t.agg == "count" || t.agg == "rate"
	case Gauge:
		return t.agg == "value"
	case Rate:
		return t.agg == "rate"
	default:
		_, ok := trendAgg(t.agg)
		return ok && t.agg != "count"
	}
}

// Aggregate is the aggregation the threshold compares ("p(95)", "rate", ...).
func (t *Threshold) Aggregate() string { return t.agg }

// ThresholdSpec is one entry of options.thresholds: a string, or an object
// {threshold, abortOnFail, delayAbortEval}.
type ThresholdSpec struct {
	Threshold      string   `json:"threshold"`
	AbortOnFail    bool     `json:"abortOnFail"`
	DelayAbortEval Duration `json:"delayAbortEval"`
}

func (s *ThresholdSpec) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &s.Threshold)
	}
	type plain ThresholdSpec
	return json.Unmarshal(b, (*plain)(s))
}

// valuer is a metric or sub-metric.
type valuer interface {
	Value(agg string, elapsed time.Duration) (float64, bool)
}

// MetricThresholds are the thresholds on one metric or sub-metric.
type MetricThresholds struct {
	Name string // "http_req_duration" or "http_req_duration{scenario:readers}"
	List []*Threshold

	target   valuer
	observed func() bool
}

// Thresholds are every threshold of a run, evaluated as the run goes and at its end.
type Thresholds struct {
	Metrics []*MetricThresholds // sorted by name
}

// newThresholds resolves options.thresholds against the registry: each key names a
// metric (which must exist by the end of the init context) or a sub-metric of one.
func newThresholds(reg *Registry, specs map[string][]ThresholdSpec) (*Thresholds, error) {
	ts := &Thresholds{}
	for name, list := range specs {
		mt := &MetricThresholds{Name: name}
		var typ MetricType
		if m := reg.Get(name); m != nil {
			mt.target, typ, mt.observed = m, m.Type, m.Observed
		} else if sub, err := reg.Submetric(name); err == nil {
			mt.target, typ, mt.observed = sub, sub.Parent.Type, sub.observed
		} else {
			return nil, fmt.Errorf("thresholds: no metric %q (%v)", name, err)
		}
		for _, spec := range list {
			t, err := ParseThreshold(spec.Threshold)
			if err != nil {
				return nil, fmt.Errorf("thresholds on %s: %w", name, err)
			}
			if !t.validFor(typ) {
				return nil, fmt.Errorf("thresholds on %s: %q: a %s metric has no %s", name, spec.Threshold, typ, t.agg)
			}
			t.AbortOnFail, t.DelayAbortEval = spec.AbortOnFail, time.Duration(spec.DelayAbortEval)
			mt.List = append(mt.List, t)
		}
		ts.Metrics = append(ts.Metrics, mt)
	}
	sort.Slice(ts.Metrics, func(i, j int) bool { return ts.Metrics[i].Name < ts.Metrics[j].Name })
	return ts, nil
}

// evaluate checks every threshold against the aggregates after elapsed of the run. It
// reports whether any is crossed, and whether one crossed has abortOnFail and is past its
// delayAbortEval. A metric with no samples yet crosses none of its thresholds.
func (ts *Thresholds) evaluate(elapsed time.Duration) (crossed, abort bool) {
	for _, mt := range ts.Metrics {
		seen := mt.observed()
		for _, t := range mt.List {
			v, _ := mt.target.Value(t.agg, elapsed)
			t.last = v
			t.crossed = seen && !t.holds(v)
			if t.crossed {
				crossed = true
				if t.AbortOnFail && elapsed >= t.DelayAbortEval {
					abort = true
				}
			}
		}
	}
	return crossed, abort
}

// Crossed says whether the threshold failed at its last evaluation.
func (t *Threshold) Crossed() bool { return t.crossed }

// Last is the aggregate the last evaluation compared.
func (t *Threshold) Last() float64 { return t.last }

func (s *Submetric) observed() bool {
	s.Parent.mu.Lock()
	defer s.Parent.mu.Unlock()
	return s.sink.count() > 0
}

// sources lists each metric's thresholds as written, by metric or sub-metric name.
func (ts *Thresholds) sources() map[string][]string {
	out := map[string][]string{}
	for _, mt := range ts.Metrics {
		for _, t := range mt.List {
			out[mt.Name] = append(out[mt.Name], t.Source)
		}
	}
	return out
}
