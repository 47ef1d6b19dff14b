// Package degradation is the validation scenario of Mimo on a slow or
// missing database: a slow Postgres makes Mimo slower but never makes it
// fail, and a missing one gets clear 503 answers quickly and is recovered
// from without a restart.
package degradation

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/latency"
	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
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
)

func TestPostgresLatencyToxicSlowsButNeverFails(t *testing.T) {
	rec := record.New(t, fmt.Sprintf("With %d ms of latency injected on Postgres, every search still succeeds and its median latency rises by about the injected amount", latencyMS))
	env := harness.Start(t, harness.Options{Record: rec})
	c := env.Client()
	ctx := context.Background()
	const ns = "degradation-latency"

	storeEach(t, c, ns, 10, func(i int) string {
		return fmt.Sprintf("Runbook step %d: rotate the database credentials and restart the billing workers", i)
	})
	// measure returns the median of searches searches, each recorded in
	// the series search_latency_<series> and summarised as search_<series>
	// when series is not "".
	measure := func(phase, series string) time.Duration {
		t.Helper()
		var took latency.Sample
		for i := range searches {
			var page *mimo.SearchPage
			d, err := took.Time(func() (err error) {
				page, err = c.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: fmt.Sprintf("how to rotate database credentials %d", i)})
				return err
			})
			if series != "" {
				rec.Observe("search_latency_"+series, latency.MS(d), "")
			}
			require.NoError(t, err, "search %d %s", i, phase)
			require.NotEmpty(t, page.Results, "search %d %s finds the runbook", i, phase)
		}
		if series != "" {
			took.Record(rec, "search_"+series)
		}
		return took.Median()
	}

	// Warm up connections and caches so the baseline is not the first
	// request's cost.
	_ = measure("warming up", "")
	base := measure("without toxics", "baseline")

	toxics.Add(t, env.Proxy(harness.ProxyPostgres), toxics.Must(toxics.Latency(latencyMS, 0)))
	slow := measure(fmt.Sprintf("with a %d ms latency toxic", latencyMS), "toxic")
	rec.Measure("injected_latency", latencyMS, "ms")
	rec.Measure("search_p50_rise", latency.MS(slow-base), "ms")
	// Each sequential round trip a search makes to Postgres pays the
	// latency once; the rise over the injected amount says how many.
	rec.Measure("round_trips_implied", float64(slow-base)/float64(latencyMS*time.Millisecond), "count")
	rec.Evidence("note", fmt.Sprintf("median search %v without toxics, %v with a %d ms latency toxic on the postgres proxy; %d of %d searches succeeded in each phase",
		base.Round(time.Microsecond), slow.Round(time.Microsecond), latencyMS, searches, searches))

	t.Logf("median search latency: %v without toxics, %v with a %d ms latency toxic on the postgres proxy", base, slow, latencyMS)
	assert.GreaterOrEqual(t, slow-base, minRiseMS*time.Millisecond,
		"a %d ms latency toxic on Postgres raises the median search latency by at least %d ms", latencyMS, minRiseMS)
}

// With its read cache off and its spool unable to take a write, Mimo has
// nothing to serve a request with while the database is down: each is a
// clear 503. (TestPostgresOutageReadsFromTheCacheQueuesWritesAndAppliesEachOnce
// is the same outage with both on.)
func TestPostgresDownGivesClear503sAndRecoversWithoutRestart(t *testing.T) {
	rec := record.New(t, "With the Postgres proxy down, and no read cache or spool room to fall back on, Mimo answers clear 503 JSON errors without hanging and /health reports the database down; with it up again, Mimo recovers without a restart")
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{
		mimoserver.WithReadCache(0),
		quickBreaker(),
		mimoserver.WithSpoolMax(1 << 10), // Mimo's least; one record with its vector does not fit
	}})
	c := env.Client()
	ctx := context.Background()
	const ns = "degradation-down"
	url := env.MimoURL()

	stored, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The staging cluster is rebuilt every Monday morning"})
	require.NoError(t, err)
	id := stored.Memory.ID

	before, err := c.Health(ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, before.HTTPStatus)
	require.Equal(t, mimo.StatusOK, before.Status, "healthy before the fault: %s", before)

	restore := toxics.Cut(t, env.Proxy(harness.ProxyPostgres))
	rec.Observe("db", 0, "proxy down")
	var slowest time.Duration
	// unavailable sends one request, which must be answered, as a 503 with
	// Mimo's error body, well before a client would give up.
	unavailable := func(what, method, path string, body any) *mimoclient.Response {
		t.Helper()
		r, err := c.Do(ctx, method, path, body)
		require.NoError(t, err, "%s is answered", what)
		t.Logf("%s with the database down: %d in %v", what, r.Status, r.Elapsed)
		harness.AssertAPIError(t, what+" with the database down", r, http.StatusServiceUnavailable, mimo.EUNAVAILABLE)
		assert.Less(t, r.Elapsed, answerWithin, "%s answers within %v", what, answerWithin)
		rec.Observe("errors", 1, fmt.Sprint(r.Status))
		slowest = max(slowest, r.Elapsed)
		return r
	}
	for i := range 3 {
		r := unavailable("POST /api/memories", http.MethodPost, "/api/memories",
			mimo.StoreRequest{Namespace: ns, Content: fmt.Sprintf("written while the database is down %d", i)})
		if i == 0 {
			rec.Evidence("response", fmt.Sprintf("POST /api/memories → %d in %v: %s", r.Status, r.Elapsed.Round(time.Millisecond), r.Body))
		}
		unavailable("GET /api/memories/{id}", http.MethodGet, mimoclient.MemoryPath(ns, id), nil)
	}
	rec.Measure("slowest_answer_while_down", latency.MS(slowest), "ms")

	down, err := c.Health(ctx)
	require.NoError(t, err)
	t.Logf("GET /health with the database down: %s", down)
	// Down, or degraded when Mimo still has a spool to offer: not ok.
	assert.NotEqual(t, mimo.StatusOK, down.Status, "health says the service is not ok")
	assert.Equal(t, mimo.StatusDown, down.Components["db"].Status, "the db component says down")
	rec.Evidence("response", fmt.Sprintf("GET /health → %d: status %q, db %q", down.HTTPStatus, down.Status, down.Components["db"].Status))

	restore()
	up := time.Now()
	rec.Observe("db", 1, "proxy up")
	after := env.WaitForHealth(t, func(h *mimoclient.Health) bool {
		return h.HTTPStatus == http.StatusOK && h.Status == mimo.StatusOK
	}, recoverWithin)
	rec.Measure("health_ok_after_proxy_up", latency.MS(time.Since(up)), "ms")
	var res *mimo.StoreResult
	harness.WaitFor(t, recoverWithin, "a store to succeed once the database is back", func() (bool, string) {
		res, err = c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "Stored after the database came back"})
		return err == nil, fmt.Sprint(err)
	})
	rec.Measure("store_ok_after_proxy_up", latency.MS(time.Since(up)), "ms")
	assert.True(t, res.Created)
	got, err := c.Get(ctx, ns, id)
	require.NoError(t, err)
	assert.Equal(t, stored.Memory.Content, got.Content)

	// Same process: the address Docker gave it has not changed, as it
	// would on a restart, and its uptime kept counting.
	assert.Equal(t, url, env.MimoURL(), "Mimo was not restarted")
	assert.Greater(t, after.UptimeSeconds, before.UptimeSeconds, "Mimo's uptime kept increasing")
}
