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
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

const (
	// degradedHeader marks an answer Mimo served without its database;
	// dbUnavailable is its value then.
	degradedHeader = "X-Mimo-Degraded"
	dbUnavailable  = "db_unavailable"
	// outageWriters store at once during an outage, outageWrites each, so
	// the writes that wait on a slow or silent database overlap.
	outageWriters = 4
	outageWrites  = 5
)

// outage is one way Postgres goes away: on starts it, and the function it
// returns ends it.
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

func TestPostgresOutageReadsFromTheCacheQueuesWritesAndAppliesEachOnce(t *testing.T) {
	for _, o := range outages {
		t.Run(o.name, func(t *testing.T) { postgresOutage(t, o) })
	}
}

func postgresOutage(t *testing.T, o outage) {
	rec := record.New(t, fmt.Sprintf("With Postgres gone (%s), a memory written just before is read from the cache (X-Mimo-Degraded: db_unavailable), writes are answered 202 queued, and after recovery the spool drains to 0 with every acknowledged write stored exactly once", o.name))
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{mimoserver.WithBreaker(3, breakerReset)}})
	ctx := context.Background()
	c, m := env.Client(), env.Mimo()
	const ns = "degradation-outage"
	tl := harness.NewTimeline(t, rec)
	tl.WatchCircuit(m, "db")
	tl.Watch("spool_pending", 250*time.Millisecond, func(ctx context.Context) (float64, string, error) {
		ms, err := m.Client().Metrics(ctx)
		if err != nil {
			return 0, "", err
		}
		v, ok := ms.Value("mimo_spool_pending", nil)
		if !ok {
			return 0, "", fmt.Errorf("no mimo_spool_pending")
		}
		return v, "", nil
	})

	var mu sync.Mutex
	acked := map[string]*mimo.StoreResult{} // content → answer
	var queued int
	var duringOutage latency.Sample // every write's time once the outage began
	inOutage := false
	store := func(content string) {
		began := time.Now()
		res, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content})
		mu.Lock()
		if inOutage {
			duringOutage.Add(time.Since(began))
		}
		mu.Unlock()
		if !assert.NoError(t, err, "%s: a write is acknowledged (201 or 202)", o.name) {
			return
		}
		assert.True(t, res.Created || res.Queued, "%q is new", content)
		mu.Lock()
		acked[content] = res
		if res.Queued {
			queued++
		}
		mu.Unlock()
	}
	for i := range 10 {
		store(fmt.Sprintf("Runbook %d: page the storage on-call before failing over.", i))
	}
	fresh := acked["Runbook 9: page the storage on-call before failing over."]
	require.NotNil(t, fresh)
	require.False(t, fresh.Queued, "Postgres is up: stored")

	var off func()
	began := time.Now()
	tl.Do("Postgres goes away: "+o.name, func() { off = o.on(t, env) })
	mu.Lock()
	inOutage = true
	mu.Unlock()
	tl.Concurrently(fmt.Sprintf("%d writers store %d memories each", outageWriters, outageWrites), outageWriters, func(w int) {
		for i := range outageWrites {
			store(fmt.Sprintf("Failover log: writer %d entry %d during the %s.", w, i, o.name))
		}
	})
	tl.Expect("the db circuit open", within, m.CircuitIs("db", mimo.CircuitOpen))
	rec.Measure("db_circuit_open_after", latency.MS(time.Since(began)), "ms")

	r, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, fresh.Memory.ID), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.Status, "the memory written just before is served: %s", r.Body)
	assert.Equal(t, dbUnavailable, r.Header.Get(degradedHeader))
	var got mimo.Memory
	require.NoError(t, r.Decode(&got))
	assert.Equal(t, fresh.Memory.Content, got.Content)
	rec.Measure("cached_read_latency", latency.MS(r.Elapsed), "ms")

	var last *mimo.StoreResult
	for i := range 3 {
		content := fmt.Sprintf("Failover log: entry %d with the circuit open.", i)
		store(content)
		last = acked[content]
		require.NotNil(t, last)
		assert.True(t, last.Queued, "a write with the circuit open is queued (202)")
	}
	env.WaitForMetric(t, "mimo_spool_pending", nil, func(v float64) bool { return v > 0 }, within)
	env.WaitForMetric(t, "mimo_fallback_triggered_total", map[string]string{"service": "db", "reason": "read_cache"}, func(v float64) bool { return v >= 1 }, within)
	env.WaitForMetric(t, "mimo_fallback_triggered_total", map[string]string{"service": "db", "reason": "spooled"}, func(v float64) bool { return v >= float64(queued) }, within)

	mu.Lock()
	inOutage = false
	duringOutage.Record(rec, "write_latency_during_outage")
	mu.Unlock()
	back := time.Now()
	tl.Do("Postgres is back", off)
	tl.Expect("the spool drained to 0", recoverWithin, m.MetricIs("mimo_spool_pending", nil, func(v float64) bool { return v == 0 }))
	rec.Measure("drained_after_recovery", latency.MS(time.Since(back)), "ms")
	tl.Expect("the db circuit closed", within, m.CircuitIs("db", mimo.CircuitClosed))

	r, err = c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, last.Memory.ID), nil)
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
