package latency_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"mimo/harness/latency"
	"mimo/harness/record"
)

func TestPercentilesAreNearestRank(t *testing.T) {
	var s latency.Sample
	assert.Zero(t, s.Median(), "an empty sample")
	// 1 ms … 20 ms, added out of order.
	for _, i := range []int{20, 3, 1, 19, 2, 18, 4, 17, 5, 16, 6, 15, 7, 14, 8, 13, 9, 12, 10, 11} {
		s.Add(time.Duration(i) * time.Millisecond)
	}
	assert.Equal(t, 20, s.Len())
	assert.Equal(t, 10*time.Millisecond, s.Median(), "the 10th of 20")
	assert.Equal(t, 19*time.Millisecond, s.Percentile(95), "the 19th of 20")
	assert.Equal(t, 20*time.Millisecond, s.Percentile(99), "ceil(19.8) is the 20th")
	assert.Equal(t, 20*time.Millisecond, s.Max())
	assert.Equal(t, 1*time.Millisecond, s.Percentile(0), "clamped to the smallest")
	assert.Equal(t, 1*time.Millisecond, s.Percentile(5))
}

func TestTimeAddsEveryCallAndIsSafeConcurrently(t *testing.T) {
	var s latency.Sample
	boom := errors.New("boom")
	_, err := s.Time(func() error { return boom })
	assert.ErrorIs(t, err, boom, "the call's error comes back")
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _, _ = s.Time(func() error { return nil }) })
	}
	wg.Wait()
	assert.Equal(t, 51, s.Len(), "failed calls are timed too")
}

func TestMS(t *testing.T) {
	assert.Equal(t, 1.5, latency.MS(1500*time.Microsecond))
	assert.Equal(t, 0.001, latency.MS(1999*time.Nanosecond))
}

func TestRecordWritesTheSummary(t *testing.T) {
	t.Setenv(record.EnvResultsDir, t.TempDir())
	rec := record.New(t, "a latency summary")
	var s latency.Sample
	for _, ms := range []int{4, 1, 3, 2} {
		s.Add(time.Duration(ms) * time.Millisecond)
	}
	s.Record(rec, "search")
	got := rec.Result().Measurements
	assert.Equal(t, record.Measurement{Value: 2, Unit: "ms"}, got["search_p50"])
	assert.Equal(t, record.Measurement{Value: 4, Unit: "ms"}, got["search_p95"])
	assert.Equal(t, record.Measurement{Value: 4, Unit: "ms"}, got["search_p99"])
	assert.Equal(t, record.Measurement{Value: 4, Unit: "ms"}, got["search_max"])
	assert.Equal(t, record.Measurement{Value: 4, Unit: "count"}, got["search_count"])
}
