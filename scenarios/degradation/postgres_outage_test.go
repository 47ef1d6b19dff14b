package degradation

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/latency"
	"mimo/harness/mimoclient"
	"mimo/harness/record"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

const (
	// outageWriters store at once during an outage, outageWrites each, so
	// the writes that wait on a slow or silent database overlap.
	outageWriters = 4
	outageWrites  = 5
	// beforeOutage is how many memories each outage's namespace holds
	// before Postgres goes away; each is read once during the outage.
	beforeOutage = 10
)

// outage is one way Postgres goes away: on starts it, and the function it
// returns ends it (t's cleanup ends it too).
type outage struct {
	name string
	on   func(t *testing.T, env *harness.Env) (off func())
}

var outages = []outage{
	{"proxy cut", func(t *testing.T, env *harness.Env) func() {
		return toxics.Cut(t, env.Proxy(harness.ProxyPostgres))
	}},
	{"reset_peer", func(t *testing.T, env *harness.Env) func() {
		return toxics.Add(t, env.Proxy(harness.ProxyPostgres), toxics.Must(toxics.ResetPeer(0)))
	}},
	{"5 s latency", func(t *testing.T, env *harness.Env) func() {
		return toxics.Add(t, env.Proxy(harness.ProxyPostgres), toxics.Must(toxics.Latency(5000, 0)))
	}},
	{"network partition", func(t *testing.T, env *harness.Env) func() {
		return env.Partition(t, harness.Postgres)
	}},
}

// One Mimo lives through the four outages, one after the other, each in a
// namespace of its own: an outage ends with the spool drained, the db
// circuit closed and its fault removed, and the next begins only once
// /health says ok (the database answers, the circuit is closed, nothing
// is queued). What one outage leaves behind is then only the read cache's
// copies of its own namespace, which no later outage reads, and the
// counters, which each outage reads as differences.
func TestPostgresOutageReadsFromTheCacheQueuesWritesAndAppliesEachOnce(t *testing.T) {
	env := harness.Start(t, harness.Options{Mimo: []testcontainers.ContainerCustomizer{quickBreaker()}})
	for _, o := range outages {
		t.Run(o.name, func(t *testing.T) { postgresOutage(t, env, o) })
	}
}

func postgresOutage(t *testing.T, env *harness.Env, o outage) {
	rec := record.New(t, fmt.Sprintf("With Postgres gone (%s), the memories written just before are read from the cache (X-Mimo-Degraded: db_unavailable), writes are answered 202 queued, and after recovery the spool drains to 0 with every acknowledged write stored exactly once", o.name))
	ctx := context.Background()
	c, m := env.Client(), env.Mimo()
	ns := "degradation-outage-" + slug(o.name)
	// The state an earlier outage may have left is gone.
	env.WaitForHealth(t, func(h *mimoclient.Health) bool { return h.Status == mimo.StatusOK }, recoverWithin)
	tl := harness.NewTimeline(t, rec)
	tl.WatchCircuit(m, "db")
	tl.WatchSpool(m)

	var mu sync.Mutex
	acked := map[string]*mimo.StoreResult{} // content → answer
	var queued int
	var duringOutage latency.Sample // every write's time once the outage began
	store := func(content string) *mimo.StoreResult {
		var res *mimo.StoreResult
		_, err := duringOutage.Time(func() (err error) {
			res, err = c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content})
			return err
		})
		if !assert.NoError(t, err, "%s: a write is acknowledged (201 or 202)", o.name) {
			return nil
		}
		assert.True(t, res.Created || res.Queued, "%q is new", content)
		mu.Lock()
		defer mu.Unlock()
		acked[content] = res
		if res.Queued {
			queued++
		}
		return res
	}
	before := storeEach(t, c, ns, beforeOutage, func(i int) string {
		return fmt.Sprintf("Runbook %d: page the storage on-call before failing over.", i)
	})
	for _, res := range before {
		acked[res.Memory.Content] = res
	}
	spooledBefore := fallbacks(t, m, dbFallback("spooled"))

	var off func()
	began := time.Now()
	tl.Do("Postgres goes away: "+o.name, func() { off = o.on(t, env) })
	tl.Concurrently(fmt.Sprintf("%d writers store %d memories each", outageWriters, outageWrites), outageWriters, func(w int) {
		for i := range outageWrites {
			store(fmt.Sprintf("Failover log: writer %d entry %d during the %s.", w, i, o.name))
		}
	})
	tl.Expect("the db circuit open", within, m.CircuitIs("db", mimo.CircuitOpen))
	rec.Measure("db_circuit_open_after", latency.MS(time.Since(began)), "ms")
	readFromCache(t, tl, rec, c, m, ns, before)

	var last *mimo.StoreResult
	for i := range 3 {
		last = store(fmt.Sprintf("Failover log: entry %d with the circuit open.", i))
		require.NotNil(t, last)
		assert.True(t, last.Queued, "a write with the circuit open is queued (202)")
	}
	tl.Expect("the spool holds the queued writes", within, m.SpoolPending(func(v float64) bool { return v > 0 }))
	tl.Expect("each queued write counted as a fallback", within, m.MetricIs("mimo_fallback_triggered_total", dbFallback("spooled"),
		func(v float64) bool { return v-spooledBefore >= float64(queued) }))
	duringOutage.Record(rec, "write_latency_during_outage")

	back := time.Now()
	tl.Do("Postgres is back", off)
	tl.Expect("the spool drained to 0", recoverWithin, m.SpoolPending(func(v float64) bool { return v == 0 }))
	rec.Measure("drained_after_recovery", latency.MS(time.Since(back)), "ms")
	tl.Expect("the db circuit closed", within, m.CircuitIs("db", mimo.CircuitClosed))

	r, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, last.Memory.ID), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.Status, "a queued memory has the id it was announced with: %s", r.Body)
	assert.Empty(t, r.Header.Get(degradedHeader), "read from Postgres again")

	seen := map[string]int{}
	for mem, err := range c.ListAll(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: ns}, Limit: mimo.MaxListLimit}) {
		require.NoError(t, err)
		seen[mem.Content]++
	}
	missing, doubled := 0, 0
	for content, res := range acked {
		switch n := seen[content]; {
		case n == 0:
			missing++
			t.Errorf("%q (%s, queued %v) is missing", content, res.Memory.ID, res.Queued)
		case n > 1:
			doubled++
			t.Errorf("%q is stored %d times", content, n)
		}
	}
	assert.Len(t, seen, len(acked), "nothing but the acknowledged writes is stored")
	rec.Measure("writes_acknowledged", float64(len(acked)), "count")
	rec.Measure("writes_queued", float64(queued), "count")
	rec.Measure("writes_missing", float64(missing), "count")
	rec.Measure("writes_doubled", float64(doubled), "count")
	rec.Evidence("note", fmt.Sprintf("%s: %d writes acknowledged, %d of them queued; after recovery %d missing, %d doubled, %d listed", o.name, len(acked), queued, missing, doubled, len(seen)))
}

// readFromCache reads each memory written before the outage once, all at
// once, while the db circuit is open: each must be served, from the read
// cache and marked so (or from Postgres, when a read finds it answering
// slowly), never refused, and the one written last from the cache. The read cache's hit rate is the share of reads
// it served of those it was asked for (served or 503); the counter
// mimo_fallback_triggered_total{service="db",reason="read_cache"} must
// have counted at least the reads the client saw served from it.
func readFromCache(t *testing.T, tl *harness.Timeline, rec *record.Recorder, c *mimoclient.Client, m *harness.MimoServer, ns string, written []*mimo.StoreResult) {
	t.Helper()
	ctx := context.Background()
	counted := fallbacks(t, m, dbFallback("read_cache"))
	var mu sync.Mutex
	answers := map[string]int{} // "cache", "database", "503", or another status
	tl.Concurrently(fmt.Sprintf("read the %d memories written before the outage", len(written)), len(written), func(i int) {
		want := written[i].Memory
		r, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, want.ID), nil)
		if !assert.NoError(t, err, "read %d is answered", i) {
			return
		}
		kind := fmt.Sprint(r.Status)
		if r.Status == http.StatusOK {
			kind = "database"
			if r.Header.Get(degradedHeader) == dbUnavailable {
				kind = "cache"
			}
			if i == len(written)-1 {
				assert.Equal(t, "cache", kind, "the memory written just before the outage is served from the cache")
			}
			var got mimo.Memory
			if assert.NoError(t, r.Decode(&got)) {
				assert.Equal(t, want.Content, got.Content, "read %d", i)
			}
		}
		mu.Lock()
		answers[kind]++
		mu.Unlock()
		rec.Observe("reads", 1, kind)
	})
	fromCache, refused := answers["cache"], answers["503"]
	assert.Equal(t, len(written), answers["cache"]+answers["database"], "every memory written before the outage is served: %v", answers)
	assert.Positive(t, fromCache, "reads are served from the cache while the circuit is open: %v", answers)
	tl.Expect("the cache's answers counted as fallbacks", within, m.MetricIs("mimo_fallback_triggered_total", dbFallback("read_cache"),
		func(v float64) bool { return v-counted >= float64(fromCache) }))
	rec.Measure("reads_from_cache", float64(fromCache), "count")
	rec.Measure("reads_from_database", float64(answers["database"]), "count")
	rec.Measure("reads_unavailable", float64(refused), "count")
	if fromCache+refused > 0 {
		rec.Measure("read_cache_hit_rate", float64(fromCache)/float64(fromCache+refused), "ratio")
	}
	rec.Measure("read_cache_fallbacks_counted", fallbacks(t, m, dbFallback("read_cache"))-counted, "count")
}
