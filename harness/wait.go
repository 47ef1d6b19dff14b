package harness

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// pollInterval is how often the waiters check their condition.
const pollInterval = 50 * time.Millisecond

// WaitFor checks cond every 50 ms until it reports true, and fails t with
// what and cond's last detail string when timeout passes first. It waits
// for a condition, never for a fixed time: it returns as soon as cond
// holds, which is checked once right away. cond runs on the calling
// goroutine; its detail says what it saw, for the failure message.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	waitFor(t, timeout, what, cond)
}

// waitFor is WaitFor reporting whether cond held, for callers that go on
// when t's Fatalf does not stop the goroutine (a fake t in tests).
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		ok, detail := cond()
		if ok {
			return true
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("harness: waited %s for %s; last: %s", timeout, what, detail)
			return false
		}
		<-tick.C
	}
}

// Await is WaitFor over a value: it fetches a value every 50 ms, each
// fetch bounded by the timeout and by 5 s, until pred holds for one
// without an error, and returns that value. When timeout passes first it
// fails t with what and the last value seen, written by show (nil: %+v),
// or the last fetch error.
func Await[T any](t testing.TB, timeout time.Duration, what string, fetch func(context.Context) (T, error), pred func(T) bool, show func(T) string) T {
	t.Helper()
	if show == nil {
		show = func(v T) string { return fmt.Sprintf("%+v", v) }
	}
	var last T
	WaitFor(t, timeout, what, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), pollTimeout(timeout))
		defer cancel()
		v, err := fetch(ctx)
		if err != nil {
			return false, err.Error()
		}
		last = v
		return pred(v), show(v)
	})
	return last
}

// WaitForQuery waits until pred holds for the instant vector of the PromQL
// expression q on the environment's Prometheus, failing t after timeout
// with the last result or error, and returns the vector that satisfied
// pred.
func (e *Env) WaitForQuery(t testing.TB, q string, pred func(model.Vector) bool, timeout time.Duration) model.Vector {
	t.Helper()
	prom := e.Prometheus()
	fetch := func(ctx context.Context) (model.Vector, error) { return prom.Query(ctx, q) }
	return Await(t, timeout, "Prometheus: "+q, fetch, pred, model.Vector.String)
}

// Query evaluates the PromQL expression q now on the environment's
// Prometheus; see prometheus.Container.Query.
func (e *Env) Query(ctx context.Context, q string) (model.Vector, error) {
	return e.Prometheus().Query(ctx, q)
}

// pollTimeout bounds one fetch of a wait, so a stalled Mimo cannot hold the
// wait far past its timeout: at most the timeout, and at most 5 s.
func pollTimeout(timeout time.Duration) time.Duration {
	return max(min(timeout, 5*time.Second), pollInterval)
}

func formatSum(what string, v float64, n int) string {
	return fmt.Sprintf("%s = %g over %d series", what, v, n)
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
