package main

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: latencies are recorded in microseconds from 1 µs to
// 60 s with three significant digits, so every percentile is within 0.1%
// of the true value.
const (
	histMinMicros = 1
	histMaxMicros = 60_000_000
	histSigFigs   = 3
)

// newHistogram returns an empty latency histogram in microseconds.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMinMicros, histMaxMicros, histSigFigs)
}

// recordLatency records d, clamped into the histogram's range so that an
// outlier beyond 60 s still counts (as 60 s) instead of being dropped.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	us = max(histMinMicros, min(histMaxMicros, us))
	_ = h.RecordValue(us) // cannot fail: us is within the bounds
}

// Latency is the summary of one phase's request latencies, in
// milliseconds. Requests counts every request that got an answer,
// whatever its status; Errors counts those that were not 200 plus those
// that got no answer at all. PerSecond is requests answered per second of
// the phase's wall time.
type Latency struct {
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	MinMs     float64 `json:"min_ms"`
	MeanMs    float64 `json:"mean_ms"`
	P50Ms     float64 `json:"p50_ms"`
	P90Ms     float64 `json:"p90_ms"`
	P99Ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
}

// summarize shapes h (microseconds) into a Latency for a phase that took
// elapsed and saw errors failed requests. Values are rounded to the
// microsecond; an empty histogram gives zero latencies.
func summarize(h *hdrhistogram.Histogram, errors int64, elapsed time.Duration) Latency {
	l := Latency{Requests: h.TotalCount(), Errors: errors, Seconds: round(elapsed.Seconds(), 3)}
	if elapsed > 0 {
		l.PerSecond = round(float64(l.Requests)/elapsed.Seconds(), 1)
	}
	if l.Requests == 0 {
		return l
	}
	ms := func(us int64) float64 { return round(float64(us)/1000, 3) }
	l.MinMs = ms(h.Min())
	l.MeanMs = round(h.Mean()/1000, 3)
	l.P50Ms = ms(h.ValueAtQuantile(50))
	l.P90Ms = ms(h.ValueAtQuantile(90))
	l.P99Ms = ms(h.ValueAtQuantile(99))
	l.MaxMs = ms(h.Max())
	return l
}

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}
