package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/httpapi"
)

func TestPanicIsRecoveredAs500AndLogged(t *testing.T) {
	svc := &fakeService{get: func(string, string) (*mimo.Memory, error) { panic("boom in handler") }}
	e := newEnv(t, httpapi.Options{Service: svc})
	resp := e.do("GET", "/api/memories/x", "")
	require.Equal(t, http.StatusInternalServerError, resp.Code)
	assert.Equal(t, "internal", resp.ErrorCode(t))
	assert.NotContains(t, string(resp.Body), "boom")
	assert.Contains(t, e.logs.String(), "boom in handler")

	// The server keeps serving.
	assert.Equal(t, http.StatusOK, e.do("GET", "/health/live", "").Code)
	assert.Equal(t, 1.0, counter(t, e, "/api/memories/{id}", "GET", "500"))
}

func TestUnknownRouteIs404JSON(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, p := range []string{"/nope", "/api/memories/a/b", "/api/memories/", "/api"} {
		resp := e.do("GET", p, "")
		assert.Equal(t, http.StatusNotFound, resp.Code, p)
		assert.Equal(t, "not_found", resp.ErrorCode(t), p)
	}
	assert.Empty(t, e.svc.Calls())
}

func TestWrongMethodIs405JSONWithAllow(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, tc := range []struct{ method, path, allow string }{
		{"DELETE", "/api/search", "POST"},
		{"PUT", "/api/memories/x", "DELETE, GET, HEAD, PATCH"},
		{"POST", "/health", "GET, HEAD"},
	} {
		resp := e.do(tc.method, tc.path, "")
		require.Equal(t, http.StatusMethodNotAllowed, resp.Code, "%s %s", tc.method, tc.path)
		assert.Equal(t, "method_not_allowed", resp.ErrorCode(t))
		allow := strings.Split(resp.Header.Get("Allow"), ", ")
		assert.ElementsMatch(t, strings.Split(tc.allow, ", "), allow, "%s %s", tc.method, tc.path)
	}
	assert.Empty(t, e.svc.Calls())
}

// counter reads mimo_http_requests_total for one label set (0 if absent).
func counter(t *testing.T, e *env, route, method, code string) float64 {
	t.Helper()
	for _, m := range family(t, e, "mimo_http_requests_total") {
		l := labels(m)
		if l["route"] == route && l["method"] == method && l["code"] == code {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func family(t *testing.T, e *env, name string) []*dto.Metric {
	t.Helper()
	mfs, err := e.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()
		}
	}
	return nil
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

func TestMetricsUseRoutePatternsNeverRawPaths(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	e.do("GET", "/api/memories/0190a1b2-aaaa", "")
	e.do("GET", "/api/memories/0190a1b2-bbbb", "")
	e.do("DELETE", "/api/memories/0190a1b2-cccc", "")
	e.do("POST", "/api/memories", `{"content":"x"}`)
	e.do("POST", "/api/memories", `{"bad":1}`)
	e.do("GET", "/secret/path/with/id-123", "")
	e.do("PUT", "/api/search", "")
	e.do("BREW", "/api/search", "")

	assert.Equal(t, 2.0, counter(t, e, "/api/memories/{id}", "GET", "200"))
	assert.Equal(t, 1.0, counter(t, e, "/api/memories/{id}", "DELETE", "200"))
	assert.Equal(t, 1.0, counter(t, e, "/api/memories", "POST", "201"))
	assert.Equal(t, 1.0, counter(t, e, "/api/memories", "POST", "400"))
	assert.Equal(t, 1.0, counter(t, e, "unmatched", "GET", "404"))
	assert.Equal(t, 1.0, counter(t, e, "unmatched", "PUT", "405"))
	assert.Equal(t, 1.0, counter(t, e, "unmatched", "other", "405"), "invented methods are bounded")

	for _, name := range []string{"mimo_http_requests_total", "mimo_http_request_duration_seconds"} {
		ms := family(t, e, name)
		require.NotEmpty(t, ms, name)
		for _, m := range ms {
			route := labels(m)["route"]
			assert.NotContains(t, route, "0190a1b2", name)
			assert.NotContains(t, route, "secret", name)
			assert.NotContains(t, labels(m)["method"], "BREW", name)
		}
	}

	var observed uint64
	for _, m := range family(t, e, "mimo_http_request_duration_seconds") {
		if l := labels(m); l["route"] == "/api/memories/{id}" && l["method"] == "GET" {
			observed = m.GetHistogram().GetSampleCount()
		}
	}
	assert.Equal(t, uint64(2), observed)
}

func TestRejectedRequestsAreCountedUnderTheirRoute(t *testing.T) {
	e := newEnv(t, httpapi.Options{APIKey: "k", RateLimit: 1, RateBurst: 1})
	e.do("POST", "/api/search", `{"query":"x"}`)
	e.do("POST", "/api/search", `{"query":"x"}`)
	assert.Equal(t, 1.0, counter(t, e, "/api/search", "POST", "401"))
	assert.Equal(t, 1.0, counter(t, e, "/api/search", "POST", "429"))
}

func TestAccessLogAtDebugLevel(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	e.do("GET", "/api/memories/id-42?namespace=n", "")
	logs := e.logs.String()
	assert.Contains(t, logs, `"level":"DEBUG"`)
	assert.Contains(t, logs, `"route":"/api/memories/{id}"`)
	assert.Contains(t, logs, `"path":"/api/memories/id-42"`)
	assert.Contains(t, logs, `"status":200`)
}
