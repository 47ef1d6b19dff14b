package load

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedScript is the seed's gate script, verbatim; its one copy lives with the gates.
const seedScript = "../../scenarios/load/scripts/seed.js"

// seedOver shortens the seed's gate as a user would on k6's command line
// (--vus 10 --duration 2s) and points its localhost:4000 at the test server through k6's
// hosts option, so the script itself runs unchanged.
func seedConfig(srvURL string) Config {
	addr := strings.TrimPrefix(srvURL, "http://")
	d := Duration(2 * time.Second)
	return Config{
		Base: Options{Hosts: map[string]string{"localhost:4000": addr}},
		Over: Options{VUs: ptr(int64(10)), Duration: &d},
	}
}

func TestSeedScriptPassesAgainstHealthyServer(t *testing.T) {
	var calls atomic.Int64
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/api/ask" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"answer":"ok"}`))
	})
	res, err := runFile(t, seedScript, seedConfig(srv.URL))
	require.NoError(t, err)
	assert.Equal(t, ExitOK, res.ExitCode())
	assert.False(t, res.Crossed)
	reqs := count(t, res, "http_reqs")
	assert.Equal(t, float64(calls.Load()), reqs, "http_reqs counts every request the server saw")
	assert.Greater(t, reqs, 50.0, "10 VUs with 100 ms think time for 2 s make well over 50 requests")
	checks := res.Registry.Get("checks")
	rate, _ := checks.Value("rate", res.Duration)
	assert.Equal(t, 1.0, rate)
}

func TestSeedScriptExits99WhenOverOnePercentFail(t *testing.T) {
	var n atomic.Int64
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%20 == 0 { // 5% of requests fail
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"answer":"ok"}`))
	})
	res, err := runFile(t, seedScript, seedConfig(srv.URL))
	require.NoError(t, err)
	assert.Equal(t, ExitThresholdsFailed, res.ExitCode())
	var failed *Threshold
	for _, mt := range res.Thresholds.Metrics {
		for _, th := range mt.List {
			if th.Crossed() {
				failed = th
			}
		}
	}
	require.NotNil(t, failed)
	assert.Equal(t, "rate<0.01", failed.Source)
	assert.InDelta(t, 0.05, failed.Last(), 0.02)
}
