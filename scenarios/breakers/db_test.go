package breakers

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
	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

// dbReset is the db circuit's wait before half-open: long enough to send
// a few reads and writes and look at Postgres while it is open.
const dbReset = 8 * time.Second

// degradedHeader is the header of an answer Mimo served without its
// database, and its value.
const (
	degradedHeader = "X-Mimo-Degraded"
	dbUnavailable  = "db_unavailable"
)

func TestDBCircuitTransitionsAndPostgresIsNotCalledWhileOpen(t *testing.T) {
	rec := record.New(t, fmt.Sprintf("The database's circuit opens after %d consecutive failures under a Postgres proxy cut, Postgres is not called while it is open (reads come from the cache, writes are queued), it half-opens after %s and closes on a successful probe, a failed probe opens it again, and every write is applied exactly once", failures, dbReset))
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{mimoserver.WithBreaker(failures, dbReset)}})
	ctx := context.Background()
	c, m, pg := env.Client(), env.Mimo(), env.Postgres()
	const ns = "breakers-db"

	w := watchCircuit(t, rec, m, "db")
	tl := w.tl
	written := map[string]int{} // content → acknowledged writes
	var early []*mimo.Memory
	store := func(content string) *mimo.StoreResult {
		t.Helper()
		res, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content})
		require.NoError(t, err, "a store is acknowledged (201 or 202) whatever the state of the database")
		require.True(t, res.Created || res.Queued, "%q is new", content)
		written[content]++
		return res
	}
	// openWhileWriting stores until the db circuit is open, each store a
	// call that fails on the database (or is queued once it is open).
	openWhileWriting := func(round int) {
		t.Helper()
		isOpen := m.CircuitIs("db", mimo.CircuitOpen)
		i := 0
		tl.Expect("the db circuit open while writing", 2*within, func() (bool, string) {
			store(fmt.Sprintf("Ledger round %d entry %d, written while Postgres is cut.", round, i))
			i++
			return isOpen()
		})
	}

	for i := range 3 {
		res := store(fmt.Sprintf("Ledger entry %d: the quarter closes on the last Friday.", i))
		require.True(t, res.Created, "Postgres is up: stored, not queued")
		got, err := c.Get(ctx, ns, res.Memory.ID)
		require.NoError(t, err)
		early = append(early, got)
	}
	w.is(mimo.CircuitClosed)

	// closed → open under a cut.
	var restore func()
	tl.Do("the postgres proxy is cut", func() { restore = toxics.Cut(t, env.Proxy(harness.ProxyPostgres)) })
	openWhileWriting(1)
	w.transitions(mimo.CircuitOpen, 1)

	// Open, with Postgres reachable again: reads come from the cache and
	// writes are queued, and Postgres sees nothing of it.
	tl.Do("the postgres proxy is restored while the circuit is open", restore)
	mark, err := pg.Now(ctx)
	require.NoError(t, err)
	for i, mem := range early {
		r, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, mem.ID), nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.Status, "a cached memory is served while the circuit is open: %s", r.Body)
		assert.Equal(t, dbUnavailable, r.Header.Get(degradedHeader), "a read from the cache says so")
		var got mimo.Memory
		require.NoError(t, r.Decode(&got))
		assert.Equal(t, mem.Content, got.Content)
		res := store(fmt.Sprintf("Ledger entry %d written while the circuit is open.", i))
		assert.True(t, res.Queued, "a write while the circuit is open is queued")
	}
	a, err := pg.ActivitySince(ctx, mark)
	require.NoError(t, err)
	stillOpen, detail := m.CircuitIs("db", mimo.CircuitOpen)()
	require.True(t, stillOpen, "the checks ran within the open window (%s); %s", dbReset, detail)
	assert.Zero(t, a.Queries, "no statement reached Postgres while the circuit was open: %+v", a)
	assert.Zero(t, a.Connections, "no connection was opened to Postgres while the circuit was open: %+v", a)
	rec.Measure("postgres_statements_while_open", float64(a.Queries), "count")
	rec.Measure("postgres_connections_while_open", float64(a.Connections), "count")

	// open → half-open → closed: the probe (the drainer's, or a request's)
	// finds Postgres, and the queued writes are applied.
	w.transitions(mimo.CircuitHalfOpen, 1)
	w.transitions(mimo.CircuitClosed, 1)
	tl.Expect("the spool drained", within, m.SpoolPending(func(v float64) bool { return v == 0 }))

	// A failed probe: cut again, open, and the probe after the reset finds
	// Postgres still cut.
	tl.Do("the postgres proxy is cut again", func() { restore = toxics.Cut(t, env.Proxy(harness.ProxyPostgres)) })
	openWhileWriting(2)
	w.transitions(mimo.CircuitOpen, 2)
	w.transitions(mimo.CircuitHalfOpen, 2)
	w.transitions(mimo.CircuitOpen, 3)
	tl.Do("the postgres proxy is restored", restore)
	w.transitions(mimo.CircuitClosed, 2)
	tl.Expect("the spool drained again", within, m.SpoolPending(func(v float64) bool { return v == 0 }))

	seen := map[string]int{}
	for mem, err := range c.ListAll(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: ns}, Limit: mimo.MaxListLimit}) {
		require.NoError(t, err)
		seen[mem.Content]++
	}
	for content := range written {
		assert.Equal(t, 1, seen[content], "%q applied exactly once", content)
	}
	assert.Len(t, seen, len(written), "nothing else was stored")
	rec.Measure("writes_acknowledged", float64(len(written)), "count")
	rec.Evidence("note", fmt.Sprintf("transitions in mimo_circuit_breaker_transitions_total{service=\"db\"}: open 3, half-open 2, closed 2; %d statements and %d connections seen by Postgres while open; %d writes acknowledged, each listed once after the drain", a.Queries, a.Connections, len(written)))
}
