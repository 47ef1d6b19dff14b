// Package degradation is the validation scenario of Mimo on a slow or
// missing database: a slow Postgres makes Mimo slower but never makes it
// fail, and a missing one gets clear 503 answers quickly and is recovered
// from without a restart.
package degradation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

const (
	// searches is how many searches each latency measurement takes; the
	// median of that many is steady against a stray slow one.
	searches = 30
	// latencyMS is the delay the toxic adds to every chunk Postgres sends.
	latencyMS = 200
	// minRiseMS is the least the median must rise: a search makes at least
	// one round trip to Postgres, which the toxic holds latencyMS, less a
	// margin for measurement noise. No upper bound: a loaded machine may be
	// slower by any amount without Mimo being wrong.
	minRiseMS = 150
	// answerWithin bounds one request while the database is down: it must
	// come back before any store timeout would let it hang.
	answerWithin = 15 * time.Second
	// recoverWithin bounds the wait for Mimo to recover once the database
	// proxy is up; the condition, not the bound, is what the test waits for.
	recoverWithin = 90 * time.Second
)

func TestPostgresLatencyToxicSlowsButNeverFails(t *testing.T) {
	rec := record.New(t, fmt.Sprintf("With %d ms of latency injected on Postgres, every search still succeeds and its median latency rises by about the injected amount", latencyMS))
	env := harness.Start(t, harness.Options{Record: rec})
	c := env.Client()
	ctx := context.Background()
	const ns = "degradation-latency"

	for i := range 10 {
		_, err := c.Store(ctx, mimo.StoreRequest{
			Namespace: ns,
			Content:   fmt.Sprintf("Runbook step %d: rotate the database credentials and restart the billing workers", i),
		})
		require.NoError(t, err)
	}
	// measure returns the median of searches searches, each recorded in
	// the series search_latency_<phase> when phase is not "".
	measure := func(phase, series string) time.Duration {
		t.Helper()
		took := make([]time.Duration, 0, searches)
		for i := range searches {
			began := time.Now()
			page, err := c.Search(ctx, mimo.SearchQuery{
				Filter: mimo.Filter{Namespace: ns},
				Query:  fmt.Sprintf("how to rotate database credentials %d", i),
			})
			took = append(took, time.Since(began))
			if series != "" {
				rec.Observe("search_latency_"+series, ms(took[i]), "")
			}
			require.NoError(t, err, "search %d %s", i, phase)
			require.NotEmpty(t, page.Results, "search %d %s finds the runbook", i, phase)
		}
		slices.Sort(took)
		if series != "" {
			rec.Measure("search_p50_"+series, ms(took[len(took)/2]), "ms")
			rec.Measure("search_p95_"+series, ms(took[len(took)*95/100]), "ms")
			rec.Measure("searches_"+series, float64(len(took)), "count")
		}
		return took[len(took)/2]
	}

	// Warm up connections and caches so the baseline is not the first
	// request's cost.
	_ = measure("warming up", "")
	base := measure("without toxics", "baseline")

	lat, err := toxics.Latency(latencyMS, 0)
	require.NoError(t, err)
	toxics.Apply(t, env.Proxy(harness.ProxyPostgres), lat)
	slow := measure(fmt.Sprintf("with a %d ms latency toxic", latencyMS), "toxic")
	rec.Measure("injected_latency", latencyMS, "ms")
	rec.Measure("search_p50_rise", ms(slow-base), "ms")
	// Each sequential round trip a search makes to Postgres pays the
	// latency once; the rise over the injected amount says how many.
	rec.Measure("round_trips_implied", float64(slow-base)/float64(latencyMS*time.Millisecond), "count")
	rec.Evidence("note", fmt.Sprintf("median search %v without toxics, %v with a %d ms latency toxic on the postgres proxy; %d of %d searches succeeded in each phase",
		base.Round(time.Microsecond), slow.Round(time.Microsecond), latencyMS, searches, searches))

	t.Logf("median search latency: %v without toxics, %v with a %d ms latency toxic on the postgres proxy",
		base, slow, latencyMS)
	assert.GreaterOrEqual(t, slow-base, minRiseMS*time.Millisecond,
		"a %d ms latency toxic on Postgres raises the median search latency by at least %d ms", latencyMS, minRiseMS)
}

func TestPostgresDownGivesClear503sAndRecoversWithoutRestart(t *testing.T) {
	rec := record.New(t, "With the Postgres proxy down, Mimo answers clear 503 JSON errors without hanging and /health reports the database down; with it up again, Mimo recovers without a restart")
	env := harness.Start(t, harness.Options{Record: rec})
	c := env.Client()
	ctx := context.Background()
	const ns = "degradation-down"
	url := env.MimoURL()

	stored, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The staging cluster is rebuilt every Monday morning"})
	require.NoError(t, err)
	id := stored.Memory.ID

	code, before := health(t, url)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, mimo.StatusOK, before.Status, "healthy before the fault: %+v", before)

	pg := env.Proxy(harness.ProxyPostgres)
	require.NoError(t, toxics.Down(pg))
	t.Cleanup(func() { _ = toxics.Up(pg) })
	rec.Observe("db", 0, "proxy down")
	var slowest time.Duration

	// Each request is answered, as a 503 with Mimo's error body, well
	// before a client would give up.
	for i := range 3 {
		body := fmt.Sprintf(`{"namespace":%q,"content":"written while the database is down %d"}`, ns, i)
		status, got, took := call(t, http.MethodPost, url+"/api/memories", body)
		t.Logf("POST /api/memories with the database down: %d in %v", status, took)
		assertUnavailable(t, "POST /api/memories", status, got)
		assert.Less(t, took, answerWithin, "POST /api/memories answers within %v", answerWithin)
		rec.Observe("errors", 1, fmt.Sprint(status))
		slowest = max(slowest, took)
		if i == 0 {
			rec.Evidence("response", fmt.Sprintf("POST /api/memories → %d in %v: %s", status, took.Round(time.Millisecond), got))
		}

		status, got, took = call(t, http.MethodGet, url+"/api/memories/"+id+"?namespace="+ns, "")
		t.Logf("GET /api/memories/{id} with the database down: %d in %v", status, took)
		assertUnavailable(t, "GET /api/memories/{id}", status, got)
		assert.Less(t, took, answerWithin, "GET /api/memories/{id} answers within %v", answerWithin)
		rec.Observe("errors", 1, fmt.Sprint(status))
		slowest = max(slowest, took)
	}
	rec.Measure("slowest_answer_while_down", ms(slowest), "ms")

	began := time.Now()
	code, down := health(t, url)
	t.Logf("GET /health with the database down: %d in %v: %+v", code, time.Since(began), down)
	assert.Equal(t, http.StatusServiceUnavailable, code, "health is 503 while the database is down")
	assert.Equal(t, mimo.StatusDown, down.Status, "health says down")
	assert.Equal(t, mimo.StatusDown, down.Components["db"].Status, "the db component says down")

	rec.Evidence("response", fmt.Sprintf("GET /health → %d: status %q, db %q", code, down.Status, down.Components["db"].Status))

	require.NoError(t, toxics.Up(pg))
	up := time.Now()
	rec.Observe("db", 1, "proxy up")
	var after healthBody
	harness.WaitFor(t, recoverWithin, "health ok again after the proxy came up", func() (bool, string) {
		code, h := health(t, url)
		after = h
		return code == http.StatusOK && h.Status == mimo.StatusOK, fmt.Sprintf("%d %+v", code, h)
	})
	rec.Measure("health_ok_after_proxy_up", ms(time.Since(up)), "ms")
	var res *mimo.StoreResult
	harness.WaitFor(t, recoverWithin, "a store to succeed once the database is back", func() (bool, string) {
		res, err = c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "Stored after the database came back"})
		return err == nil, fmt.Sprint(err)
	})
	rec.Measure("store_ok_after_proxy_up", ms(time.Since(up)), "ms")
	assert.True(t, res.Created)
	got, err := c.Get(ctx, ns, id)
	require.NoError(t, err)
	assert.Equal(t, stored.Memory.Content, got.Content)

	// Same process: the address Docker gave it has not changed, as it
	// would on a restart, and its uptime kept counting.
	assert.Equal(t, url, env.MimoURL(), "Mimo was not restarted")
	assert.Greater(t, after.UptimeSeconds, before.UptimeSeconds, "Mimo's uptime kept increasing")
}

type healthBody struct {
	Status        string                    `json:"status"`
	Components    map[string]mimo.Component `json:"components"`
	UptimeSeconds float64                   `json:"uptime_seconds"`
}

// health reads GET /health, which is 200 or 503 with the same body.
func health(t *testing.T, url string) (int, healthBody) {
	t.Helper()
	status, b, _ := call(t, http.MethodGet, url+"/health", "")
	var h healthBody
	require.NoError(t, json.Unmarshal(b, &h), "GET /health body: %s", b)
	return status, h
}

// call makes one request and returns its status, body and duration; a
// failure to get an answer at all fails the test.
func call(t *testing.T, method, url, body string) (int, []byte, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*answerWithin)
	defer cancel()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	began := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	took := time.Since(began)
	require.NoError(t, err)
	return resp.StatusCode, b, took
}

func assertUnavailable(t *testing.T, what string, status int, body []byte) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	assert.Equal(t, http.StatusServiceUnavailable, status, "%s with the database down: %s", what, body)
	if assert.NoError(t, json.Unmarshal(body, &e), "%s answers JSON: %s", what, body) {
		assert.Equal(t, mimo.EUNAVAILABLE, e.Error.Code, "%s error code", what)
		assert.NotEmpty(t, e.Error.Message, "%s says why", what)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
