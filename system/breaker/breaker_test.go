package breaker_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/breaker"
	"mimo/system/internal/fakeclock"
	"mimo/system/metrics"
)

var errDown = errors.New("down")

func setup() (*breaker.Breaker, *fakeclock.Clock, *metrics.Metrics) {
	c := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m := metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()})
	b := breaker.New(breaker.Options{Name: "llm", Failures: 3, Reset: 10 * time.Second, Metrics: m, Now: c.Now})
	return b, c, m
}

func transitions(m *metrics.Metrics, to string) float64 {
	return testutil.ToFloat64(m.BreakerTransitions.WithLabelValues("llm", to))
}

func TestClosedOpenHalfOpenClosed(t *testing.T) {
	b, c, m := setup()
	calls := 0
	fail := func() error { calls++; return errDown }
	succeed := func() error { calls++; return nil }

	// Failures below the threshold, with a success between, keep it closed:
	// only consecutive failures count.
	require.Error(t, b.Do(fail))
	require.Error(t, b.Do(fail))
	require.NoError(t, b.Do(succeed))
	require.Error(t, b.Do(fail))
	require.Error(t, b.Do(fail))
	assert.Equal(t, breaker.Closed, b.State())

	require.ErrorIs(t, b.Do(fail), errDown, "the third consecutive failure is the call's own error")
	assert.Equal(t, breaker.Open, b.State())
	assert.Equal(t, 2.0, testutil.ToFloat64(m.BreakerState.WithLabelValues("llm")))

	// Open: refused without calling.
	before := calls
	err := b.Do(succeed)
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
	assert.ErrorIs(t, err, breaker.ErrOpen)
	assert.Equal(t, before, calls, "the dependency is not called while open")

	c.Advance(10*time.Second - time.Nanosecond)
	assert.Equal(t, breaker.Open, b.State(), "not before the reset time")
	c.Advance(time.Nanosecond)
	assert.Equal(t, breaker.HalfOpen, b.State())
	assert.Equal(t, 1.0, testutil.ToFloat64(m.BreakerState.WithLabelValues("llm")))

	require.NoError(t, b.Do(succeed), "the probe")
	assert.Equal(t, breaker.Closed, b.State())
	assert.Equal(t, 0.0, testutil.ToFloat64(m.BreakerState.WithLabelValues("llm")))
	assert.Equal(t, 1.0, transitions(m, "open"))
	assert.Equal(t, 1.0, transitions(m, "half-open"))
	assert.Equal(t, 1.0, transitions(m, "closed"))
}

func TestAFailedProbeOpensAgainForAnotherReset(t *testing.T) {
	b, c, m := setup()
	for range 3 {
		_ = b.Do(func() error { return errDown })
	}
	c.Advance(10 * time.Second)
	require.Error(t, b.Do(func() error { return errDown }))
	assert.Equal(t, breaker.Open, b.State(), "half-open → open on a failed probe")
	c.Advance(9 * time.Second)
	assert.Equal(t, breaker.Open, b.State(), "the reset time starts again")
	c.Advance(time.Second)
	assert.Equal(t, breaker.HalfOpen, b.State())
	assert.Equal(t, 2.0, transitions(m, "open"))
	assert.Equal(t, 2.0, transitions(m, "half-open"))
	assert.Equal(t, 0.0, transitions(m, "closed"))
}

// Under 100 concurrent callers: the circuit opens once, half-open lets
// exactly one probe through while the others are refused, and nothing
// races.
func TestConcurrentCallersOneProbe(t *testing.T) {
	b, c, m := setup()
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { _ = b.Do(func() error { return errDown }) })
	}
	wg.Wait()
	assert.Equal(t, breaker.Open, b.State())
	assert.Equal(t, 1.0, transitions(m, "open"), "opened once")

	c.Advance(10 * time.Second)
	release := make(chan struct{})
	var reached atomic.Int64
	probe := make(chan error, 1)
	go func() {
		probe <- b.Do(func() error { reached.Add(1); <-release; return nil })
	}()
	require.Eventually(t, func() bool { return reached.Load() == 1 }, 5*time.Second, time.Millisecond)
	var refused atomic.Int64
	for range 100 {
		wg.Go(func() {
			if err := b.Do(func() error { reached.Add(1); return nil }); err != nil {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(100), refused.Load(), "one probe at a time")
	close(release)
	require.NoError(t, <-probe)
	assert.Equal(t, breaker.Closed, b.State())
	assert.Equal(t, int64(1), reached.Load(), "only the probe reached the dependency")
}

func TestDefaults(t *testing.T) {
	b := breaker.New(breaker.Options{Name: "db"})
	for range breaker.DefaultFailures - 1 {
		_ = b.Do(func() error { return errDown })
	}
	assert.Equal(t, breaker.Closed, b.State())
	_ = b.Do(func() error { return errDown })
	assert.Equal(t, breaker.Open, b.State())
	assert.Equal(t, "open", b.State().String())
}
