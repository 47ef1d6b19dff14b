// Package latency summarises how long calls took, for the assertions and
// records of scenarios: a Sample keeps every duration and gives exact
// percentiles by nearest rank over the sorted durations.
//
// Exact, because scenarios take small samples (tens to thousands of
// calls) and assert on them: the 95th percentile of 30 searches is the
// 29th slowest, not an estimate of it. The load runner, whose samples run
// to millions, uses HDR histograms (github.com/HdrHistogram/hdrhistogram-go)
// instead, which bound memory at a small relative error.
package latency

import (
	"math"
	"slices"
	"sync"
	"time"

	"mimo/harness/record"
)

// Sample is a set of durations. The zero value is empty and ready; its
// methods are safe for concurrent use.
type Sample struct {
	mu sync.Mutex
	ds []time.Duration
}

// Add adds one duration.
func (s *Sample) Add(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
}

// Time runs f, adds how long it took whatever it returned, and returns
// f's error and the duration.
func (s *Sample) Time(f func() error) (time.Duration, error) {
	began := time.Now()
	err := f()
	d := time.Since(began)
	s.Add(d)
	return d, err
}

// Len is how many durations the sample holds.
func (s *Sample) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ds)
}

// Percentile is the p-th percentile (0 < p <= 100) by nearest rank: the
// smallest duration that at least p% of the sample is at or below. An
// empty sample's is 0; p is clamped to (0, 100].
func (s *Sample) Percentile(p float64) time.Duration {
	s.mu.Lock()
	sorted := slices.Clone(s.ds)
	s.mu.Unlock()
	if len(sorted) == 0 {
		return 0
	}
	slices.Sort(sorted)
	rank := int(math.Ceil(min(max(p, 0), 100) / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// Median is the 50th percentile.
func (s *Sample) Median() time.Duration { return s.Percentile(50) }

// Max is the longest duration, 0 for an empty sample.
func (s *Sample) Max() time.Duration { return s.Percentile(100) }

// Record writes the sample's summary into rec as the measurements
// <name>_p50, <name>_p95, <name>_p99 and <name>_max in ms, and
// <name>_count.
func (s *Sample) Record(rec *record.Recorder, name string) {
	for _, p := range []struct {
		suffix string
		pct    float64
	}{{"_p50", 50}, {"_p95", 95}, {"_p99", 99}, {"_max", 100}} {
		rec.Measure(name+p.suffix, MS(s.Percentile(p.pct)), "ms")
	}
	rec.Measure(name+"_count", float64(s.Len()), "count")
}

// MS is d in milliseconds with microsecond precision, the unit records
// give latencies in.
func MS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
