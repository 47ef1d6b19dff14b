package harness

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// pollInterval is how often WaitFor checks its condition.
const pollInterval = 50 * time.Millisecond

// WaitFor checks cond every 50 ms until it reports true, and fails t with
// what and cond's last detail string when timeout passes first. It waits
// for a condition, never for a fixed time: it returns as soon as cond
// holds, which is checked once right away. cond runs on the calling
// goroutine; its detail says what it saw, for the failure message.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("harness: waited %s for %s; last: %s", timeout, what, detail)
			return
		}
		<-tick.C
	}
}

// WaitForMetric waits until pred holds for the sum of the series of Mimo's
// metric name that carry labels (see Metrics.Sum; no matching series sums
// to 0), failing t after timeout with the last value or fetch error.
func (e *Env) WaitForMetric(t testing.TB, name string, labels map[string]string, pred func(float64) bool, timeout time.Duration) {
	t.Helper()
	what := name + formatLabels(labels)
	WaitFor(t, timeout, what, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), pollTimeout(timeout))
		defer cancel()
		m, err := e.Metrics(ctx)
		if err != nil {
			return false, err.Error()
		}
		v, n := m.Sum(name, labels)
		return pred(v), fmt.Sprintf("%s = %g over %d series", what, v, n)
	})
}

// WaitForHealth waits until pred holds for Mimo's GET /health body,
// failing t after timeout with the last body or fetch error.
func (e *Env) WaitForHealth(t testing.TB, pred func(map[string]any) bool, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, "Mimo's health", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), pollTimeout(timeout))
		defer cancel()
		h, err := e.Health(ctx)
		if err != nil {
			return false, err.Error()
		}
		return pred(h), fmt.Sprintf("%v", h)
	})
}

// pollTimeout bounds one fetch of a wait, so a stalled Mimo cannot hold the
// wait far past its timeout: at most the timeout, and at most 5 s.
func pollTimeout(timeout time.Duration) time.Duration {
	return min(timeout, 5*time.Second)
}

func formatLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
