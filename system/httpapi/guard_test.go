package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system/httpapi"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, httpapi.Options{APIKey: "s3cret-key"})

	for _, tc := range []struct {
		name, header string
		code         int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong key", "Bearer nope", http.StatusUnauthorized},
		{"key prefix", "Bearer s3cret", http.StatusUnauthorized},
		{"key with suffix", "Bearer s3cret-key2", http.StatusUnauthorized},
		{"wrong scheme", "Basic s3cret-key", http.StatusUnauthorized},
		{"bare key", "s3cret-key", http.StatusUnauthorized},
		{"right key", "Bearer s3cret-key", http.StatusOK},
		{"scheme is case-insensitive", "bearer s3cret-key", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.header != "" {
				h = []string{"Authorization", tc.header}
			}
			before := len(e.svc.Calls())
			resp := e.do("GET", "/api/memories", "", h...)
			require.Equal(t, tc.code, resp.Code, "%s", resp.Body)
			if tc.code == http.StatusUnauthorized {
				assert.Equal(t, "unauthorized", resp.ErrorCode(t))
				assert.Equal(t, "Bearer", resp.Header.Get("WWW-Authenticate"))
				assert.Len(t, e.svc.Calls(), before, "the service must not be called")
			} else {
				assert.Len(t, e.svc.Calls(), before+1)
			}
		})
	}

	t.Run("every api route is guarded", func(t *testing.T) {
		for _, r := range [][2]string{
			{"POST", "/api/memories"}, {"POST", "/api/memories/batch"}, {"GET", "/api/memories"},
			{"GET", "/api/memories/x"}, {"PATCH", "/api/memories/x"}, {"DELETE", "/api/memories/x"},
			{"POST", "/api/search"}, {"POST", "/api/ask"},
		} {
			assert.Equal(t, http.StatusUnauthorized, e.do(r[0], r[1], `{}`).Code, "%s %s", r[0], r[1])
		}
	})

	t.Run("probes and metrics stay open", func(t *testing.T) {
		for _, p := range []string{"/health", "/health/live", "/health/ready", "/metrics"} {
			assert.Equal(t, http.StatusOK, e.do("GET", p, "").Code, p)
		}
	})
}

func TestNoKeyMeansNoAuth(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	assert.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "").Code)
	assert.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "", "Authorization", "Bearer anything").Code)
}

func TestRateLimitAnswers429AndRecoversWhenTokensRefill(t *testing.T) {
	// 2 requests/s with a burst of 3: three pass at once, the fourth waits
	// half a second for the next token, which Retry-After rounds up to 1.
	e := newEnv(t, httpapi.Options{RateLimit: 2, RateBurst: 3})
	for i := range 3 {
		require.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "").Code, "request %d", i)
	}
	resp := e.do("GET", "/api/memories", "")
	require.Equal(t, http.StatusTooManyRequests, resp.Code)
	assert.Equal(t, "rate_limited", resp.ErrorCode(t))
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Len(t, e.svc.Calls(), 3, "a limited request never reaches the service")

	// Probes are never limited.
	assert.Equal(t, http.StatusOK, e.do("GET", "/health/live", "").Code)
	assert.Equal(t, http.StatusOK, e.do("GET", "/metrics", "").Code)

	// Asking while limited does not spend tokens: after half a second
	// exactly one more request passes.
	e.clock.Advance(500 * time.Millisecond)
	assert.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "").Code)
	assert.Equal(t, http.StatusTooManyRequests, e.do("GET", "/api/memories", "").Code)

	// A full refill restores the whole burst.
	e.clock.Advance(10 * time.Second)
	for i := range 3 {
		require.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "").Code, "after refill, request %d", i)
	}
}

func TestRetryAfterIsWholeSecondsRoundedUp(t *testing.T) {
	// 0.25 requests/s: the next token is 4 s away.
	e := newEnv(t, httpapi.Options{RateLimit: 0.25, RateBurst: 1})
	require.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "").Code)
	resp := e.do("GET", "/api/memories", "")
	require.Equal(t, http.StatusTooManyRequests, resp.Code)
	assert.Equal(t, "4", resp.Header.Get("Retry-After"))

	e.clock.Advance(2500 * time.Millisecond)
	resp = e.do("GET", "/api/memories", "")
	require.Equal(t, http.StatusTooManyRequests, resp.Code)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"), "1.5 s rounds up to 2")
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, secs, 1)
}

func TestRateLimitIsPerKeyWhenAuthIsOn(t *testing.T) {
	e := newEnv(t, httpapi.Options{APIKey: "k", RateLimit: 1, RateBurst: 2})
	auth := []string{"Authorization", "Bearer k"}
	require.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "", auth...).Code)
	require.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "", auth...).Code)
	assert.Equal(t, http.StatusTooManyRequests, e.do("GET", "/api/memories", "", auth...).Code)

	// Requests without the key draw on the client's own bucket, not the
	// key's: they are refused for the key, then limited like any client.
	assert.Equal(t, http.StatusUnauthorized, e.do("GET", "/api/memories", "").Code)
	assert.Equal(t, http.StatusUnauthorized, e.do("GET", "/api/memories", "", "Authorization", "Bearer guess").Code)
	assert.Equal(t, http.StatusTooManyRequests, e.do("GET", "/api/memories", "", "Authorization", "Bearer guess2").Code,
		"guessing keys is throttled")
}

func TestRateLimitOffWhenNegative(t *testing.T) {
	e := newEnv(t, httpapi.Options{RateLimit: -1})
	for i := range 50 {
		require.Equal(t, http.StatusOK, e.do("GET", "/api/memories", "").Code, "request %d", i)
	}
}

func TestDefaultRateLimitAllowsABurstOfTwoThousand(t *testing.T) {
	svc := &fakeService{}
	clock := newClock()
	h := httpapi.New(httpapi.Options{Service: svc, Now: clock.Now})
	codes := map[int]int{}
	for range 2001 {
		req, err := http.NewRequest("GET", "/api/memories", nil)
		require.NoError(t, err)
		req.RemoteAddr = "192.0.2.1:1234"
		w := &codeRecorder{header: http.Header{}}
		h.ServeHTTP(w, req)
		codes[w.code]++
	}
	assert.Equal(t, map[int]int{200: 2000, 429: 1}, codes)
}

// codeRecorder is a minimal ResponseWriter for driving the handler
// directly many times.
type codeRecorder struct {
	header http.Header
	code   int
}

func (r *codeRecorder) Header() http.Header { return r.header }
func (r *codeRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *codeRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return len(b), nil
}
