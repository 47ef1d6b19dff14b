package main

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSummarizeShapesPercentilesInMilliseconds(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 1000; i++ {
		recordLatency(h, time.Duration(i)*time.Millisecond)
	}
	l := summarize(h, 3, 2*time.Second)
	assert.EqualValues(t, 1000, l.Requests)
	assert.EqualValues(t, 3, l.Errors)
	assert.Equal(t, 2.0, l.Seconds)
	assert.Equal(t, 500.0, l.PerSecond)
	// Three significant digits: every figure within 0.1% of the truth.
	for _, c := range []struct{ got, want float64 }{
		{l.MinMs, 1}, {l.P50Ms, 500}, {l.P90Ms, 900}, {l.P99Ms, 990}, {l.MaxMs, 1000}, {l.MeanMs, 500.5},
	} {
		assert.InEpsilon(t, c.want, c.got, 0.001, "want %v, got %v", c.want, c.got)
	}
	assert.Less(t, l.P50Ms, l.P90Ms)
	assert.Less(t, l.P90Ms, l.P99Ms)
	assert.LessOrEqual(t, l.P99Ms, l.MaxMs)
}

func TestSummarizeRoundsToTheMicrosecond(t *testing.T) {
	h := newHistogram()
	recordLatency(h, 1234567*time.Nanosecond)
	l := summarize(h, 0, time.Second)
	assert.Equal(t, l.P50Ms, math.Round(l.P50Ms*1000)/1000)
	assert.InDelta(t, 1.234, l.P50Ms, 0.002)
}

func TestSummarizeOfNothingIsZeroNotNaN(t *testing.T) {
	l := summarize(newHistogram(), 5, 0)
	assert.Equal(t, Latency{Errors: 5}, l)
}

func TestRecordLatencyClampsToTheHistogramsRange(t *testing.T) {
	h := newHistogram()
	recordLatency(h, 0)
	recordLatency(h, 2*time.Minute)
	assert.EqualValues(t, 2, h.TotalCount(), "out-of-range values are counted, not dropped")
	assert.EqualValues(t, 1, h.Min())
	assert.InEpsilon(t, 60e6, float64(h.Max()), 0.001)
}
