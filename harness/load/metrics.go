package load

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// MetricType is one of k6's four metric kinds.
type MetricType int

// The metric kinds, as k6 names them.
const (
	Counter MetricType = iota
	Gauge
	Rate
	Trend
)

func (t MetricType) String() string {
	return [...]string{"counter", "gauge", "rate", "trend"}[t]
}

// ValueType says what a metric's values measure; it decides how they are printed.
type ValueType int

// Value types: plain numbers, milliseconds, bytes.
const (
	Default ValueType = iota
	Time
	Data
)

func (v ValueType) String() string { return [...]string{"default", "time", "data"}[v] }

// Tags are a sample's tags. A Tags value is never changed once a sample carries it, so one
// map may be shared by the samples of one request.
type Tags map[string]string

// with returns a copy of t with the given pairs (k1, v1, k2, v2, ...) added.
func (t Tags) with(kv ...string) Tags {
	out := make(Tags, len(t)+len(kv)/2)
	for k, v := range t {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// contains says whether every pair of sub is in t.
func (t Tags) contains(sub Tags) bool {
	for k, v := range sub {
		if tv, ok := t[k]; !ok || tv != v {
			return false
		}
	}
	return true
}

// Sample is one measurement of a metric: values of Time metrics are in milliseconds, of
// Data metrics in bytes, of Rate metrics non-zero for true.
type Sample struct {
	Metric *Metric
	Time   time.Time
	Value  float64
	Tags   Tags
}

// Metric is a named series and the running aggregate of every sample pushed to it, plus
// the aggregates of its sub-metrics (the samples whose tags match a set of pairs).
type Metric struct {
	Name     string
	Type     MetricType
	Contains ValueType

	mu   sync.Mutex
	sink sink
	subs []*Submetric
}

// Submetric aggregates the samples of its parent whose tags contain Tags, as k6's
// "http_req_duration{scenario:readers}".
type Submetric struct {
	Name   string // the full spelling, e.g. "http_req_duration{scenario:readers}"
	Parent *Metric
	Tags   Tags

	sink sink
}

// Output receives every sample as it is pushed (for example --out json). Implementations
// must be safe for concurrent use.
type Output interface {
	AddSample(Sample)
}

// Registry holds a test run's metrics by name. It is safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	metrics map[string]*Metric
	outputs []Output
}

// NewRegistry returns a registry holding k6's built-in metrics.
func NewRegistry() *Registry {
	r := &Registry{metrics: map[string]*Metric{}}
	for _, b := range builtinMetrics {
		if _, err := r.New(b.name, b.typ, b.contains); err != nil {
			panic(err)
		}
	}
	return r
}

// The metrics every run has, as k6 names them.
var builtinMetrics = []struct {
	name     string
	typ      MetricType
	contains ValueType
}{
	{"vus", Gauge, Default},
	{"vus_max", Gauge, Default},
	{"iterations", Counter, Default},
	{"iteration_duration", Trend, Time},
	{"dropped_iterations", Counter, Default},
	{"data_sent", Counter, Data},
	{"data_received", Counter, Data},
	{"checks", Rate, Default},
	{"group_duration", Trend, Time},
	{"http_reqs", Counter, Default},
	{"http_req_duration", Trend, Time},
	{"http_req_failed", Rate, Default},
	{"http_req_blocked", Trend, Time},
	{"http_req_connecting", Trend, Time},
	{"http_req_tls_handshaking", Trend, Time},
	{"http_req_sending", Trend, Time},
	{"http_req_waiting", Trend, Time},
	{"http_req_receiving", Trend, Time},
}

var metricName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

// New returns the metric called name, making it when it does not exist yet. Asking again
// for an existing name with the same type returns the same metric (every VU's init code
// declares its custom metrics); a different type is an error, as is a name k6 would refuse.
func (r *Registry) New(name string, typ MetricType, contains ValueType) (*Metric, error) {
	if !metricName.MatchString(name) {
		return nil, fmt.Errorf("invalid metric name %q: letters, digits and underscores, not starting with a digit, at most 128", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.metrics[name]; ok {
		if m.Type != typ {
			return nil, fmt.Errorf("metric %q already exists as a %s, not a %s", name, m.Type, typ)
		}
		return m, nil
	}
	m := &Metric{Name: name, Type: typ, Contains: contains, sink: newSink(typ)}
	r.metrics[name] = m
	return m, nil
}

// Get returns the metric called name, or nil.
func (r *Registry) Get(name string) *Metric {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.metrics[name]
}

// Metrics returns every metric, sorted by name.
func (r *Registry) Metrics() []*Metric {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Metric, 0, len(r.metrics))
	for _, m := range r.metrics {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AddOutput sends every sample pushed from now on to o as well.
func (r *Registry) AddOutput(o Output) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs = append(r.outputs, o)
}

// Submetric returns the sub-metric spelled like "name{key:value,key2:value2}", making it
// (and attaching it to its parent) on first use. The parent must exist.
func (r *Registry) Submetric(spec string) (*Submetric, error) {
	open := strings.IndexByte(spec, '{')
	if open < 0 || !strings.HasSuffix(spec, "}") {
		return nil, fmt.Errorf("sub-metric %q: expected name{key:value,...}", spec)
	}
	parent := r.Get(strings.TrimSpace(spec[:open]))
	if parent == nil {
		return nil, fmt.Errorf("sub-metric %q: no metric %q", spec, strings.TrimSpace(spec[:open]))
	}
	tags := Tags{}
	for _, kv := range strings.Split(spec[open+1:len(spec)-1], ",") {
		k, v, ok := strings.Cut(kv, ":")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if !ok || k == "" {
			return nil, fmt.Errorf("sub-metric %q: expected key:value, found %q", spec, kv)
		}
		tags[k] = v
	}
	parent.mu.Lock()
	defer parent.mu.Unlock()
	for _, s := range parent.subs {
		if len(s.Tags) == len(tags) && s.Tags.contains(tags) {
			return s, nil
		}
	}
	s := &Submetric{Name: spec, Parent: parent, Tags: tags, sink: newSink(parent.Type)}
	parent.subs = append(parent.subs, s)
	return s, nil
}

// Push adds samples to their metrics' aggregates and to every output.
func (r *Registry) Push(samples ...Sample) {
	for _, s := range samples {
		m := s.Metric
		m.mu.Lock()
		m.sink.add(s.Value)
		for _, sub := range m.subs {
			if s.Tags.contains(sub.Tags) {
				sub.sink.add(s.Value)
			}
		}
		m.mu.Unlock()
	}
	r.mu.RLock()
	outs := r.outputs
	r.mu.RUnlock()
	for _, o := range outs {
		for _, s := range samples {
			o.AddSample(s)
		}
	}
}

// Observed says whether the metric has received any sample.
func (m *Metric) Observed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sink.count() > 0
}

// Value returns the aggregate agg ("count", "rate", "value", "avg", "min", "max", "med",
// "p(95)", ...) of the metric over a run of the given length, and whether the metric's
// type has it.
func (m *Metric) Value(agg string, elapsed time.Duration) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sink.value(agg, elapsed)
}

// Value is Metric.Value for the sub-metric's samples.
func (s *Submetric) Value(agg string, elapsed time.Duration) (float64, bool) {
	s.Parent.mu.Lock()
	defer s.Parent.mu.Unlock()
	return s.sink.value(agg, elapsed)
}

// Submetrics returns the metric's sub-metrics in the order they were made.
func (m *Metric) Submetrics() []*Submetric {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Submetric(nil), m.subs...)
}
