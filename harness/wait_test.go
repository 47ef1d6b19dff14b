package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/mimoclient"
	mimo "mimo/system"
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

// fakeMimo is a MimoServer with no container, whose client reaches a
// server answering /metrics and /health from the test's functions.
func fakeMimo(t *testing.T, metrics func() string, health func() (int, string)) *MimoServer {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			fmt.Fprint(w, metrics())
		case "/health":
			code, body := health()
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return &MimoServer{Name: Mimo, client: func() *mimoclient.Client { return &mimoclient.Client{BaseURL: srv.URL} }}
}

func TestAwaitReturnsTheValueThatHeldAndShowsTheLastOnTimeout(t *testing.T) {
	ft := &fatalT{}
	n := 0
	fetch := func(context.Context) (int, error) {
		n++
		if n == 2 {
			return 0, errors.New("a passing failure")
		}
		return n, nil
	}
	got := Await(ft, time.Minute, "three", fetch, func(v int) bool { return v >= 3 }, nil)
	assert.Empty(t, ft.fatal)
	assert.Equal(t, 3, got, "the fetch error was polled past")

	ft = &fatalT{}
	Await(ft, 120*time.Millisecond, "never", fetch, func(int) bool { return false }, func(v int) string { return fmt.Sprintf("value %d", v) })
	require.Len(t, ft.fatal, 1)
	assert.Regexp(t, `waited 120ms for never; last: value \d+`, ft.fatal[0])

	ft = &fatalT{}
	Await(ft, 120*time.Millisecond, "unreachable", func(context.Context) (int, error) { return 0, errors.New("refused") }, func(int) bool { return true }, nil)
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], "last: refused", "the last error is what was seen")
}

func TestWaitForMetric(t *testing.T) {
	var created atomic.Int64
	m := fakeMimo(t,
		func() string {
			n := created.Add(1) // each scrape sees one more request
			return fmt.Sprintf("# TYPE mimo_http_requests_total counter\n"+
				"mimo_http_requests_total{code=\"201\",method=\"POST\",route=\"/api/memories\"} %d\n"+
				"mimo_http_requests_total{code=\"200\",method=\"GET\",route=\"/health\"} 100\n", n)
		},
		func() (int, string) { return http.StatusOK, `{}` })
	labels := map[string]string{"route": "/api/memories", "method": "POST", "code": "201"}

	ft := &fatalT{}
	m.WaitForMetric(ft, "mimo_http_requests_total", labels, func(v float64) bool { return v >= 3 }, time.Minute)
	assert.Empty(t, ft.fatal)
	assert.Equal(t, int64(3), created.Load(), "waited for the third scrape")

	ft = &fatalT{}
	m.WaitForMetric(ft, "mimo_http_requests_total", map[string]string{"code": "500"},
		func(v float64) bool { return v >= 1 }, 150*time.Millisecond)
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], `mimo_http_requests_total{code="500"} = 0 over 0 series`)
}

func TestWaitForCircuit(t *testing.T) {
	var scrapes atomic.Int64
	m := fakeMimo(t,
		func() string {
			state := min(scrapes.Add(1)-1, 2) // closed, half-open, then open
			return fmt.Sprintf("# TYPE mimo_circuit_breaker_state gauge\nmimo_circuit_breaker_state{service=\"llm\"} %d\n", state)
		},
		func() (int, string) { return http.StatusOK, `{}` })
	ft := &fatalT{}
	m.WaitForCircuit(ft, "llm", mimo.CircuitOpen, time.Minute)
	assert.Empty(t, ft.fatal)
	assert.Equal(t, int64(3), scrapes.Load())

	m.WaitForCircuit(ft, "llm", mimo.CircuitClosed, 150*time.Millisecond)
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], "the llm circuit closed; last: the llm circuit is open")

	ft = &fatalT{}
	m.WaitForCircuit(ft, "db", mimo.CircuitClosed, 100*time.Millisecond)
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], `no state in mimo_circuit_breaker_state{service=db}`)
}

func TestWaitForHealth(t *testing.T) {
	var checks atomic.Int64
	m := fakeMimo(t,
		func() string { return "" },
		func() (int, string) {
			if checks.Add(1) < 3 {
				return http.StatusServiceUnavailable, `{"status":"down"}`
			}
			return http.StatusOK, `{"status":"ok","components":{"llm":{"status":"ok","circuit":"half-open"}}}`
		})
	ok := func(h *mimoclient.Health) bool { return h.Status == mimo.StatusOK }

	ft := &fatalT{}
	h := m.WaitForHealth(ft, ok, time.Minute)
	assert.Empty(t, ft.fatal)
	assert.Equal(t, int64(3), checks.Load())
	assert.Equal(t, mimo.CircuitHalfOpen, h.Circuit("llm"))

	ft = &fatalT{}
	m.WaitForHealth(ft, func(h *mimoclient.Health) bool { return h.Status == mimo.StatusDegraded }, 150*time.Millisecond)
	require.Len(t, ft.fatal, 1)
	assert.Contains(t, ft.fatal[0], "last: HTTP 200 ok", "the last answer seen")
}

func TestAssertAPIError(t *testing.T) {
	good := &mimoclient.Response{Status: 503, Body: []byte(`{"error":{"code":"unavailable","message":"database down"}}`)}
	assert.True(t, AssertAPIError(t, "a store", good, 503, mimo.EUNAVAILABLE))
	for name, r := range map[string]*mimoclient.Response{
		"other status": {Status: 500, Body: good.Body},
		"not JSON":     {Status: 503, Body: []byte("<html>")},
		"no message":   {Status: 503, Body: []byte(`{"error":{"code":"unavailable"}}`)},
		"another code": {Status: 503, Body: []byte(`{"error":{"code":"internal","message":"x"}}`)},
	} {
		ft := &assertT{TB: t}
		assert.False(t, AssertAPIError(ft, name, r, 503, mimo.EUNAVAILABLE), name)
		assert.True(t, ft.failed, name)
	}
}

// assertT records that an assertion failed without failing the real test.
type assertT struct {
	testing.TB
	failed bool
}

func (a *assertT) Helper()               {}
func (a *assertT) Errorf(string, ...any) { a.failed = true }
