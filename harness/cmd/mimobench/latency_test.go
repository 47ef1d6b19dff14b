package main

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/load"
)

// trendOf records the durations in a new latency trend.
func trendOf(ds ...time.Duration) *load.Metric {
	reg := load.NewRegistry()
	m := newLatencyTrend(reg, "request_duration")
	for _, d := range ds {
		reg.Push(load.Sample{Metric: m, Time: time.Now(), Value: ms(d), Tags: load.Tags{}})
	}
	return m
}

func TestSummarizeShapesPercentilesInMilliseconds(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 1000; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarize(trendOf(ds...), 3, 2*time.Second)
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
	l := summarize(trendOf(1234567*time.Nanosecond), 0, time.Second)
	assert.Equal(t, l.P50Ms, math.Round(l.P50Ms*1000)/1000)
	assert.InDelta(t, 1.234, l.P50Ms, 0.002)
	assert.Equal(t, 1.235, l.MinMs, "min and max are exact, then rounded")
}

func TestSummarizeOfNothingIsZeroNotNaN(t *testing.T) {
	l := summarize(trendOf(), 5, 0)
	assert.Equal(t, Latency{Errors: 5}, l)
}

func TestRunPhaseCallsEachItemOnceOnTheClients(t *testing.T) {
	var (
		mu    sync.Mutex
		items = map[int64]int{}
		vus   = map[int64]bool{}
	)
	reg := load.NewRegistry()
	elapsed, err := runPhase(context.Background(), 50, 4, reg, func(ctx context.Context, it *load.Iteration) error {
		mu.Lock()
		defer mu.Unlock()
		items[it.InTest]++
		vus[it.VU] = true
		return nil
	})
	require.NoError(t, err)
	assert.Positive(t, elapsed)
	require.Len(t, items, 50)
	for i, n := range items {
		assert.Equal(t, 1, n, "item %d", i)
	}
	assert.LessOrEqual(t, len(vus), 4)
	v, _ := reg.Get("iterations").Value("count", elapsed)
	assert.Equal(t, 50.0, v, "the runner counted the phase's iterations")
}

func TestRunPhaseWithFewerItemsThanClients(t *testing.T) {
	var calls atomic.Int64
	_, err := runPhase(context.Background(), 2, 4, load.NewRegistry(), func(ctx context.Context, it *load.Iteration) error {
		calls.Add(1)
		return nil
	})
	require.NoError(t, err, "two items run on two clients, not four")
	assert.EqualValues(t, 2, calls.Load())
	_, err = runPhase(context.Background(), 0, 4, load.NewRegistry(), nil)
	require.NoError(t, err, "no items, nothing to run")
}

func TestRunPhaseStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, err := runPhase(ctx, 1000, 2, load.NewRegistry(), func(ctx context.Context, it *load.Iteration) error {
		if it.InTest == 10 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
}
