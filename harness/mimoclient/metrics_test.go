package mimoclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

// exposition is written as Mimo's /metrics answers: counters and a gauge
// with labels, a histogram with labels, and an unlabelled gauge.
const exposition = `# HELP mimo_http_requests_total HTTP requests served, by matched route, method and status code.
# TYPE mimo_http_requests_total counter
mimo_http_requests_total{code="201",method="POST",route="/api/memories"} 3
mimo_http_requests_total{code="200",method="GET",route="/api/memories/{id}"} 5
mimo_http_requests_total{code="404",method="GET",route="/api/memories/{id}"} 1
# HELP mimo_circuit_breaker_state State of each breaker: 0 closed, 1 half-open, 2 open.
# TYPE mimo_circuit_breaker_state gauge
mimo_circuit_breaker_state{service="ollama"} 2
mimo_circuit_breaker_state{service="llm"} 0
# HELP mimo_spool_pending Writes waiting in the spool.
# TYPE mimo_spool_pending gauge
mimo_spool_pending 7
# HELP mimo_http_request_duration_seconds Time to serve an HTTP request.
# TYPE mimo_http_request_duration_seconds histogram
mimo_http_request_duration_seconds_bucket{method="POST",route="/api/memories",le="0.005"} 1
mimo_http_request_duration_seconds_bucket{method="POST",route="/api/memories",le="0.05"} 2
mimo_http_request_duration_seconds_bucket{method="POST",route="/api/memories",le="+Inf"} 3
mimo_http_request_duration_seconds_sum{method="POST",route="/api/memories"} 0.125
mimo_http_request_duration_seconds_count{method="POST",route="/api/memories"} 3
mimo_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.005"} 4
mimo_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.05"} 4
mimo_http_request_duration_seconds_bucket{method="GET",route="/health",le="+Inf"} 4
mimo_http_request_duration_seconds_sum{method="GET",route="/health"} 0.004
mimo_http_request_duration_seconds_count{method="GET",route="/health"} 4
`

func TestParseMetrics(t *testing.T) {
	m, err := ParseMetrics(strings.NewReader(exposition))
	require.NoError(t, err)

	v, ok := m.Value("mimo_http_requests_total", map[string]string{"route": "/api/memories", "method": "POST", "code": "201"})
	require.True(t, ok)
	assert.Equal(t, 3.0, v)

	_, ok = m.Value("mimo_http_requests_total", map[string]string{"route": "/api/memories", "method": "POST"})
	assert.False(t, ok, "Value matches the whole label set, not a part of it")
	_, ok = m.Value("mimo_http_requests_total", map[string]string{"route": "/api/search", "method": "POST", "code": "200"})
	assert.False(t, ok, "a series that is not there")
	_, ok = m.Value("mimo_no_such_metric", nil)
	assert.False(t, ok)

	v, ok = m.Value("mimo_spool_pending", nil)
	require.True(t, ok)
	assert.Equal(t, 7.0, v)

	v, ok = m.Value("mimo_circuit_breaker_state", map[string]string{"service": "ollama"})
	require.True(t, ok)
	assert.Equal(t, 2.0, v)

	sum, n := m.Sum("mimo_http_requests_total", map[string]string{"route": "/api/memories/{id}"})
	assert.Equal(t, 6.0, sum)
	assert.Equal(t, 2, n)
	sum, n = m.Sum("mimo_http_requests_total", nil)
	assert.Equal(t, 9.0, sum)
	assert.Equal(t, 3, n)
	sum, n = m.Sum("mimo_http_requests_total", map[string]string{"code": "500"})
	assert.Equal(t, 0.0, sum)
	assert.Equal(t, 0, n, "no series, told apart from a zero sum")

	// The histogram is seen as Prometheus stores it.
	post := map[string]string{"route": "/api/memories", "method": "POST"}
	v, ok = m.Value("mimo_http_request_duration_seconds_count", post)
	require.True(t, ok)
	assert.Equal(t, 3.0, v)
	v, ok = m.Value("mimo_http_request_duration_seconds_sum", post)
	require.True(t, ok)
	assert.Equal(t, 0.125, v)
	v, ok = m.Value("mimo_http_request_duration_seconds_bucket", map[string]string{"route": "/api/memories", "method": "POST", "le": "0.05"})
	require.True(t, ok)
	assert.Equal(t, 2.0, v)
	v, ok = m.Value("mimo_http_request_duration_seconds_bucket", map[string]string{"route": "/api/memories", "method": "POST", "le": "+Inf"})
	require.True(t, ok)
	assert.Equal(t, 3.0, v)
	sum, n = m.Sum("mimo_http_request_duration_seconds_count", nil)
	assert.Equal(t, 7.0, sum)
	assert.Equal(t, 2, n)
	_, n = m.Sum("mimo_http_request_duration_seconds_bucket", map[string]string{"le": "+Inf"})
	assert.Equal(t, 2, n, "one +Inf bucket per series, not two")
}

func TestParseMetricsAddsAnOmittedInfBucket(t *testing.T) {
	m, err := ParseMetrics(strings.NewReader(`# TYPE d histogram
d_bucket{le="1"} 2
d_sum 1.5
d_count 5
`))
	require.NoError(t, err)
	v, ok := m.Value("d_bucket", map[string]string{"le": "+Inf"})
	require.True(t, ok)
	assert.Equal(t, 5.0, v)
}

func TestParseMetricsSummaryAndUTF8Names(t *testing.T) {
	m, err := ParseMetrics(strings.NewReader(`# TYPE s summary
s{quantile="0.5"} 0.2
s_sum 3
s_count 10
{"dotted.name",zone="a"} 4
`))
	require.NoError(t, err)
	v, ok := m.Value("s", map[string]string{"quantile": "0.5"})
	require.True(t, ok)
	assert.Equal(t, 0.2, v)
	v, ok = m.Value("s_count", nil)
	require.True(t, ok)
	assert.Equal(t, 10.0, v)
	v, ok = m.Value("dotted.name", map[string]string{"zone": "a"})
	require.True(t, ok)
	assert.Equal(t, 4.0, v)
}

func TestParseMetricsRejectsMalformedText(t *testing.T) {
	_, err := ParseMetrics(strings.NewReader("mimo_x{code=\"1\" 3\n"))
	assert.Error(t, err)
	_, err = ParseMetrics(strings.NewReader("# TYPE c counter\nc not-a-number\n"))
	assert.Error(t, err)
}

// fakeMimoMetrics is a client of a Mimo that serves /metrics and /health
// from the test's functions.
func fakeMimoMetrics(t *testing.T, metrics func() string, health func() (int, string)) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			fmt.Fprint(w, metrics())
		case "/health":
			code, body := health()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return &Client{BaseURL: srv.URL}
}

func TestClientMetricsAndHealth(t *testing.T) {
	c := fakeMimoMetrics(t,
		func() string { return exposition },
		func() (int, string) {
			return http.StatusServiceUnavailable, `{"status":"down","version":"v1","uptime_seconds":2.5,"components":{"db":{"status":"down","circuit":"closed","error":"refused"},"llm":{"status":"degraded","circuit":"half-open"},"odd":{"status":"ok","circuit":"ajar"}},"classifier_cache":{"hits":2,"misses":3,"hit_rate":0.4}}`
		})
	ctx := context.Background()

	m, err := c.Metrics(ctx)
	require.NoError(t, err)
	v, ok := m.Value("mimo_spool_pending", nil)
	require.True(t, ok)
	assert.Equal(t, 7.0, v)

	h, err := c.Health(ctx)
	require.NoError(t, err, "a 503 health answer still has its body")
	assert.Equal(t, mimo.StatusDown, h.Status)
	assert.Equal(t, http.StatusServiceUnavailable, h.HTTPStatus)
	assert.Equal(t, "v1", h.Version)
	assert.Equal(t, 2.5, h.UptimeSeconds)
	assert.Equal(t, mimo.StatusDown, h.Components["db"].Status)
	assert.Equal(t, mimo.CircuitClosed, h.Circuit("db"))
	assert.Equal(t, mimo.CircuitHalfOpen, h.Circuit("llm"))
	assert.Equal(t, mimo.CircuitState(-1), h.Circuit("odd"), "an unnamed state")
	assert.Equal(t, mimo.CircuitState(-1), h.Circuit("nope"), "no such component")
	assert.Equal(t, uint64(2), h.ClassifierCache.Hits)
	assert.Equal(t, 0.4, h.ClassifierCache.HitRate)
	assert.Contains(t, h.String(), "HTTP 503 down")

	llm, ok := m.Circuit("llm")
	assert.True(t, ok)
	assert.Equal(t, mimo.CircuitClosed, llm)
	ollama, ok := m.Circuit("ollama")
	assert.True(t, ok)
	assert.Equal(t, mimo.CircuitOpen, ollama)
	_, ok = m.Circuit("db")
	assert.False(t, ok, "no series")
}

func TestClientMetricsErrors(t *testing.T) {
	c := fakeMimoMetrics(t,
		func() string { return "garbage{" },
		func() (int, string) { return http.StatusOK, "not json" })
	ctx := context.Background()
	_, err := c.Metrics(ctx)
	assert.Error(t, err)
	_, err = c.Health(ctx)
	assert.Error(t, err)

	c.BaseURL += "/nowhere"
	_, err = c.Metrics(ctx)
	assert.ErrorContains(t, err, "HTTP 404")
}
