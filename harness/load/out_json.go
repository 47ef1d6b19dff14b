package load

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// JSONOutput writes every sample as k6's --out json does: one JSON object per line, a
// {"type":"Metric",...} line the first time a metric appears, then {"type":"Point",...}
// lines. It is safe for concurrent use; Close flushes it.
type JSONOutput struct {
	mu         sync.Mutex
	w          *bufio.Writer
	c          io.Closer
	seen       map[*Metric]bool
	thresholds map[string][]string // by metric name, for the Metric lines
	err        error
}

// NewJSONOutput writes to w (closed by Close when it is an io.Closer).
func NewJSONOutput(w io.Writer) *JSONOutput {
	o := &JSONOutput{w: bufio.NewWriterSize(w, 64<<10), seen: map[*Metric]bool{}}
	o.c, _ = w.(io.Closer)
	return o
}

type jsonMetricLine struct {
	Type   string         `json:"type"`
	Data   jsonMetricData `json:"data"`
	Metric string         `json:"metric"`
}

type jsonMetricData struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Contains   string   `json:"contains"`
	Thresholds []string `json:"thresholds"`
	Submetrics []string `json:"submetrics"`
}

type jsonPointLine struct {
	Type   string        `json:"type"`
	Data   jsonPointData `json:"data"`
	Metric string        `json:"metric"`
}

type jsonPointData struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
	Tags  Tags      `json:"tags"`
}

// SetThresholds tells the output the run's thresholds (sources by metric or sub-metric
// name) before any sample; the Metric lines list a metric's own, as k6's do.
func (o *JSONOutput) SetThresholds(th map[string][]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.thresholds = th
}

// AddSample writes one sample (and its metric's description the first time).
func (o *JSONOutput) AddSample(s Sample) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return
	}
	enc := json.NewEncoder(o.w)
	if !o.seen[s.Metric] {
		o.seen[s.Metric] = true
		th := o.thresholds[s.Metric.Name]
		if th == nil {
			th = []string{}
		}
		o.err = enc.Encode(jsonMetricLine{Type: "Metric", Metric: s.Metric.Name,
			Data: jsonMetricData{Name: s.Metric.Name, Type: s.Metric.Type.String(), Contains: s.Metric.Contains.String(), Thresholds: th}})
	}
	if o.err == nil {
		o.err = enc.Encode(jsonPointLine{Type: "Point", Metric: s.Metric.Name, Data: jsonPointData{Time: s.Time, Value: s.Value, Tags: s.Tags}})
	}
}

// Close flushes what is buffered and closes the writer; it returns the first error met.
func (o *JSONOutput) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.w.Flush(); o.err == nil {
		o.err = err
	}
	if o.c != nil {
		if err := o.c.Close(); o.err == nil {
			o.err = err
		}
	}
	return o.err
}
