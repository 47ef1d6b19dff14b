package main

import (
	"context"
	"math"
	"time"

	"mimo/harness/load"
)

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

// newLatencyTrend makes the trend a phase records its answered requests'
// latencies in (milliseconds; the runner keeps them in an HDR histogram
// at microsecond resolution, percentiles within 0.1%).
func newLatencyTrend(reg *load.Registry, name string) *load.Metric {
	m, err := reg.New(name, load.Trend, load.Time)
	if err != nil {
		panic(err) // a constant, valid name in a new registry
	}
	return m
}

// ms is d in milliseconds, a Time trend's unit.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summarize shapes the trend m into a Latency for a phase that took
// elapsed and saw errors failed requests. Values are rounded to the
// microsecond; an empty trend gives zero latencies.
func summarize(m *load.Metric, errors int64, elapsed time.Duration) Latency {
	get := func(agg string) float64 { v, _ := m.Value(agg, elapsed); return v }
	l := Latency{Requests: int64(get("count")), Errors: errors, Seconds: round(elapsed.Seconds(), 3)}
	if elapsed > 0 {
		l.PerSecond = round(float64(l.Requests)/elapsed.Seconds(), 1)
	}
	if l.Requests == 0 {
		return l
	}
	l.MinMs = round(get("min"), 3)
	l.MeanMs = round(get("avg"), 3)
	l.P50Ms = round(get("med"), 3)
	l.P90Ms = round(get("p(90)"), 3)
	l.P99Ms = round(get("p(99)"), 3)
	l.MaxMs = round(get("max"), 3)
	return l
}

// runPhase calls fn once for each of n items (Iteration.InTest is the
// item's index) on concurrency closed-loop clients, each sending its next
// request as soon as the last is answered: the runner's shared-iterations
// executor. It returns how long the phase took.
func runPhase(ctx context.Context, n, concurrency int, reg *load.Registry, fn load.Func) (time.Duration, error) {
	if n == 0 {
		return 0, ctx.Err()
	}
	// Far longer than any phase: the phase ends when its items do.
	maxDuration := load.Duration(7 * 24 * time.Hour)
	s := &load.Scenario{Executor: load.SharedIterations, VUs: ptrTo(int64(min(concurrency, n))),
		Iterations: ptrTo(int64(n)), MaxDuration: &maxDuration}
	res, err := load.RunFuncs(ctx, load.FuncTest{
		Options:  load.Options{Scenarios: map[string]*load.Scenario{"phase": s}},
		Funcs:    map[string]load.Func{"default": fn},
		Registry: reg,
	})
	if err != nil {
		return 0, err
	}
	return res.Duration, ctx.Err()
}

func ptrTo[T any](v T) *T { return &v }

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}
