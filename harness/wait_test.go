package harness

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fatalT is a testing.TB that records Fatalf instead of ending the test,
// so a wait's timeout path can be tested without failing the real test.
type fatalT struct {
	testing.TB
	fatal []string
}

func (f *fatalT) Helper() {}
func (f *fatalT) Fatalf(format string, args ...any) {
	f.fatal = append(f.fatal, fmt.Sprintf(format, args...))
}

func TestWaitForReturnsOnceTheConditionHolds(t *testing.T) {
	ft := &fatalT{}
	calls := 0
	WaitFor(ft, time.Minute, "the third check", func() (bool, string) {
		calls++
		return calls == 3, fmt.Sprintf("check %d", calls)
	})
	assert.Empty(t, ft.fatal)
	assert.Equal(t, 3, calls, "checked until it held, and not after")
}

func TestWaitForChecksAtOnce(t *testing.T) {
	ft := &fatalT{}
	calls := 0
	// A zero timeout still checks once: a condition that already holds is
	// not a timeout.
	WaitFor(ft, 0, "already true", func() (bool, string) { calls++; return true, "" })
	assert.Empty(t, ft.fatal)
	assert.Equal(t, 1, calls)
}

func TestWaitForFailsWithTheLastDetailOnTimeout(t *testing.T) {
	ft := &fatalT{}
	calls := 0
	WaitFor(ft, 200*time.Millisecond, "a condition that never holds", func() (bool, string) {
		calls++
		return false, fmt.Sprintf("seen %d", calls)
	})
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], "a condition that never holds")
	assert.Contains(t, ft.fatal[0], fmt.Sprintf("last: seen %d", calls), "the detail of the last check")
	assert.Greater(t, calls, 1, "it polled, not checked once")
}

func TestWaitForMetric(t *testing.T) {
	var created atomic.Int64
	env := fakeMimoEnv(t,
		func() string {
			n := created.Add(1) // each scrape sees one more request
			return fmt.Sprintf("# TYPE mimo_http_requests_total counter\n"+
				"mimo_http_requests_total{code=\"201\",method=\"POST\",route=\"/api/memories\"} %d\n"+
				"mimo_http_requests_total{code=\"200\",method=\"GET\",route=\"/health\"} 100\n", n)
		},
		func() (int, string) { return http.StatusOK, `{}` })
	labels := map[string]string{"route": "/api/memories", "method": "POST", "code": "201"}

	ft := &fatalT{}
	env.WaitForMetric(ft, "mimo_http_requests_total", labels, func(v float64) bool { return v >= 3 }, time.Minute)
	assert.Empty(t, ft.fatal)
	assert.Equal(t, int64(3), created.Load(), "waited for the third scrape")

	ft = &fatalT{}
	env.WaitForMetric(ft, "mimo_http_requests_total", map[string]string{"code": "500"},
		func(v float64) bool { return v >= 1 }, 150*time.Millisecond)
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], `mimo_http_requests_total{code="500"} = 0 over 0 series`)
}

func TestWaitForHealth(t *testing.T) {
	var checks atomic.Int64
	env := fakeMimoEnv(t,
		func() string { return "" },
		func() (int, string) {
			if checks.Add(1) < 3 {
				return http.StatusServiceUnavailable, `{"status":"down"}`
			}
			return http.StatusOK, `{"status":"ok"}`
		})
	ok := func(h map[string]any) bool { return h["status"] == "ok" }

	ft := &fatalT{}
	env.WaitForHealth(ft, ok, time.Minute)
	assert.Empty(t, ft.fatal)
	assert.Equal(t, int64(3), checks.Load())

	ft = &fatalT{}
	env.WaitForHealth(ft, func(h map[string]any) bool { return h["status"] == "degraded" }, 150*time.Millisecond)
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], "status:ok", "the last body seen")
}
