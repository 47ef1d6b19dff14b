package load

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// sink is the running aggregate of one metric's samples. Callers hold the metric's lock.
type sink interface {
	add(v float64)
	count() int64
	// value returns the aggregate agg over a run of the given length, and whether this
	// kind of metric has that aggregate.
	value(agg string, elapsed time.Duration) (float64, bool)
}

func newSink(t MetricType) sink {
	switch t {
	case Counter:
		return &counterSink{}
	case Gauge:
		return &gaugeSink{min: math.Inf(1), max: math.Inf(-1)}
	case Rate:
		return &rateSink{}
	default:
		return newTrendSink()
	}
}

// counterSink: count (the sum of values) and rate (count per second of the run).
type counterSink struct {
	sum float64
	n   int64
}

func (s *counterSink) add(v float64) { s.sum += v; s.n++ }
func (s *counterSink) count() int64  { return s.n }
func (s *counterSink) value(agg string, elapsed time.Duration) (float64, bool) {
	switch agg {
	case "count":
		return s.sum, true
	case "rate":
		if elapsed <= 0 {
			return 0, true
		}
		return s.sum / elapsed.Seconds(), true
	}
	return 0, false
}

// gaugeSink: value (the last), min and max.
type gaugeSink struct {
	last, min, max float64
	n              int64
}

func (s *gaugeSink) add(v float64) {
	s.last, s.n = v, s.n+1
	s.min, s.max = math.Min(s.min, v), math.Max(s.max, v)
}
func (s *gaugeSink) count() int64 { return s.n }
func (s *gaugeSink) value(agg string, _ time.Duration) (float64, bool) {
	if s.n == 0 && (agg == "value" || agg == "min" || agg == "max") {
		return 0, true
	}
	switch agg {
	case "value":
		return s.last, true
	case "min":
		return s.min, true
	case "max":
		return s.max, true
	}
	return 0, false
}

// rateSink: rate (the share of non-zero samples), passes and fails.
type rateSink struct{ trues, n int64 }

func (s *rateSink) add(v float64) {
	if v != 0 {
		s.trues++
	}
	s.n++
}
func (s *rateSink) count() int64 { return s.n }
func (s *rateSink) value(agg string, _ time.Duration) (float64, bool) {
	switch agg {
	case "rate":
		if s.n == 0 {
			return 0, true
		}
		return float64(s.trues) / float64(s.n), true
	case "passes":
		return float64(s.trues), true
	case "fails":
		return float64(s.n - s.trues), true
	}
	return 0, false
}

// trendSink keeps count, sum, min and max exactly and the distribution in an HDR histogram
// (three significant digits: percentiles are within 0.1% of the exact figure, and never
// outside [min, max]). Values are recorded in thousandths, so milliseconds keep
// microsecond resolution; values below zero or above a billion count at those bounds in
// the histogram only.
type trendSink struct {
	h             *hdrhistogram.Histogram
	n             int64
	sum, min, max float64
}

const (
	trendScale = 1000
	trendHigh  = 1e12
)

func newTrendSink() *trendSink {
	return &trendSink{h: hdrhistogram.New(1, trendHigh, 3), min: math.Inf(1), max: math.Inf(-1)}
}

func (s *trendSink) add(v float64) {
	s.n++
	s.sum += v
	s.min, s.max = math.Min(s.min, v), math.Max(s.max, v)
	_ = s.h.RecordValue(int64(math.Max(0, math.Min(v*trendScale, trendHigh))))
}

func (s *trendSink) count() int64 { return s.n }

func (s *trendSink) value(agg string, _ time.Duration) (float64, bool) {
	if s.n == 0 {
		_, ok := trendAgg(agg)
		return 0, ok
	}
	switch agg {
	case "avg":
		return s.sum / float64(s.n), true
	case "min":
		return s.min, true
	case "max":
		return s.max, true
	case "count":
		return float64(s.n), true
	}
	q, ok := trendAgg(agg)
	if !ok {
		return 0, false
	}
	switch {
	case q <= 0:
		return s.min, true
	case q >= 100:
		return s.max, true
	}
	v := float64(s.h.ValueAtQuantile(q)) / trendScale
	return math.Max(s.min, math.Min(s.max, v)), true
}

// trendAgg parses a trend aggregation that is a percentile — "med" or "p(N)" — into N.
func trendAgg(agg string) (float64, bool) {
	switch agg {
	case "avg", "min", "max", "count":
		return 0, true
	case "med":
		return 50, true
	}
	if strings.HasPrefix(agg, "p(") && strings.HasSuffix(agg, ")") {
		q, err := strconv.ParseFloat(strings.TrimSpace(agg[2:len(agg)-1]), 64)
		if err == nil && q >= 0 && q <= 100 {
			return q, true
		}
	}
	return 0, false
}
