package memory_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/memory"
	"mimo/system/memory/memorytest"
	"mimo/system/spool"
	"mimo/system/storetest"
)

var errDown = mimo.Wrap(mimo.EUNAVAILABLE, errors.New("connection refused"), "database unavailable")

const breakerReset = time.Minute

func outageFixture(t *testing.T, dir string) *memorytest.Fixture {
	return memorytest.New(t, memorytest.Options{NoLLM: true, Outage: true, Dir: dir, Configure: func(o *memory.Options) {
		o.BreakerFailures, o.BreakerReset = 2, breakerReset
	}})
}

func dbCircuit(f *memorytest.Fixture) float64 {
	return testutil.ToFloat64(f.Metrics.BreakerState.WithLabelValues("db"))
}

// call runs fn with an Outcome in its context and returns the Outcome.
func call(fn func(ctx context.Context)) *mimo.Outcome {
	ctx, o := mimo.WithOutcome(context.Background())
	fn(ctx)
	return o
}

func TestADatabaseOutageIsServedFromTheCacheAndTheSpool(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	ids := f.StoreAll(t, "team", "Staging runs on the host db-2.")
	a := ids[0]
	_, err := f.Service.Get(ctx, "team", a)
	require.NoError(t, err)

	f.Switch.Fail(errDown)

	// Reads: the memory just read is served from the cache, marked.
	o := call(func(ctx context.Context) {
		m, err := f.Service.Get(ctx, "team", a)
		require.NoError(t, err)
		assert.Equal(t, "Staging runs on the host db-2.", m.Content)
	})
	assert.Equal(t, mimo.ReasonDBUnavailable, o.Degraded())
	assert.Equal(t, 1.0, f.Fallbacks("db", "read_cache"))

	// Writes: queued, answered with the final id, readable at once.
	var b string
	o = call(func(ctx context.Context) {
		res, err := f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "The deploy freeze starts on Friday."})
		require.NoError(t, err)
		assert.True(t, res.Queued)
		assert.True(t, res.Created)
		assert.Equal(t, mimo.StatusQueued, res.Status)
		require.NotEmpty(t, res.Memory.ID)
		b = res.Memory.ID
	})
	assert.True(t, o.Queued())
	assert.Equal(t, 1.0, f.Fallbacks("db", "spooled"))
	assert.Equal(t, 2.0, dbCircuit(f), "two failures in a row open the db circuit")
	assert.Equal(t, 1.0, testutil.ToFloat64(f.Metrics.SpoolPending))

	got, err := f.Service.Get(ctx, "team", b)
	require.NoError(t, err, "a queued memory is readable right after the write")
	assert.Equal(t, "The deploy freeze starts on Friday.", got.Content)

	imp := 0.9
	o = call(func(ctx context.Context) {
		m, err := f.Service.Update(ctx, "team", a, mimo.UpdateRequest{Importance: &imp})
		require.NoError(t, err)
		assert.Equal(t, 0.9, m.Importance)
		assert.Equal(t, "Staging runs on the host db-2.", m.Content, "the cached memory with the update applied")
	})
	assert.True(t, o.Queued())
	res, err := f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "A note to forget."})
	require.NoError(t, err)
	c := res.Memory.ID
	require.NoError(t, f.Service.Delete(ctx, "team", c))
	_, err = f.Service.Get(ctx, "team", c)
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err), "a queued delete hides the memory at once")
	assert.Equal(t, 4, f.Spool.Pending())

	page, err := f.Service.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "team"}})
	require.NoError(t, err)
	assert.True(t, page.Degraded)
	require.Len(t, page.Memories, 2)
	assert.Equal(t, b, page.Memories[0].ID, "newest first")
	assert.Equal(t, a, page.Memories[1].ID)

	sp, err := f.Service.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: "team"}, Query: "which host runs staging"})
	require.NoError(t, err)
	assert.True(t, sp.Degraded)
	assert.Equal(t, mimo.ReasonDBUnavailable, sp.Reason)
	require.NotEmpty(t, sp.Results)
	assert.Equal(t, a, sp.Results[0].Memory.ID)

	ans, err := f.Service.Ask(ctx, mimo.AskRequest{Namespace: "team", Query: "Which host runs staging?"})
	require.NoError(t, err)
	assert.True(t, ans.Degraded)
	assert.Equal(t, mimo.ReasonDBUnavailable, ans.Reason)
	assert.Contains(t, ans.Answer, "db-2")

	// Another namespace sees none of it.
	_, err = f.Service.Get(ctx, "other", a)
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "not in the cache for this namespace: 503, never another's memory")
	other, err := f.Service.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "other"}})
	require.NoError(t, err)
	assert.Empty(t, other.Memories)
	os, err := f.Service.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: "other"}, Query: "staging host"})
	require.NoError(t, err)
	assert.Empty(t, os.Results)

	h := f.Service.Health(ctx)
	assert.Equal(t, mimo.StatusDegraded, h.Status, "with a spool the service still serves")
	assert.Equal(t, mimo.StatusDown, h.Components["db"].Status)
	assert.Equal(t, "open", h.Components["db"].Circuit)
	assert.Equal(t, 4, h.Spool.Pending)
	assert.Positive(t, h.Spool.Bytes)

	// Recovery: the drainer's probe waits for the circuit's reset.
	f.Switch.Recover()
	n, err := f.Service.Drain(ctx)
	require.Error(t, err, "the circuit is still open")
	assert.Zero(t, n)
	d, err := f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Written after the database came back."})
	require.NoError(t, err)
	assert.True(t, d.Queued, "queued behind the earlier writes, so it cannot overtake them")

	f.Clock.Advance(breakerReset)
	n, err = f.Service.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Zero(t, f.Spool.Pending())
	assert.Zero(t, testutil.ToFloat64(f.Metrics.SpoolPending))
	assert.Zero(t, dbCircuit(f), "the probe closed the circuit")
	for _, w := range []string{"create " + b, "update " + a, "create " + c, "delete " + c, "create " + d.Memory.ID} {
		assert.Equal(t, 1, f.Switch.Writes(w), "%s applied exactly once", w)
	}
	m, err := f.Store.GetMemory(ctx, "team", a)
	require.NoError(t, err)
	assert.Equal(t, 0.9, m.Importance)
	_, err = f.Store.GetMemory(ctx, "team", c)
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err))
	n64, err := f.Store.CountMemories(ctx, "team")
	require.NoError(t, err)
	assert.Equal(t, int64(3), n64)

	n, err = f.Service.Drain(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing applied twice")
	h = f.Service.Health(ctx)
	assert.Equal(t, mimo.StatusOK, h.Components["db"].Status)
	assert.Equal(t, "closed", h.Components["db"].Circuit)
	assert.Zero(t, h.Spool.Pending)

	res, err = f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Back to normal."})
	require.NoError(t, err)
	assert.False(t, res.Queued)
	assert.True(t, res.Created)
}

func TestOnlyUnavailableErrorsOpenTheDBCircuit(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	for range 5 {
		_, err := f.Service.Get(ctx, "team", "0190a0a0-0000-7000-8000-000000000000")
		assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err))
	}
	assert.Zero(t, dbCircuit(f), "a missing memory is the database answering")

	f.Switch.Fail(mimo.Errorf(mimo.EINTERNAL, "bug"))
	for range 5 {
		_, err := f.Service.List(ctx, mimo.ListQuery{})
		assert.Equal(t, mimo.EINTERNAL, mimo.ErrorCode(err))
	}
	assert.Zero(t, dbCircuit(f))
	_, err := f.Service.Store(ctx, mimo.StoreRequest{Content: "not queued"})
	assert.Equal(t, mimo.EINTERNAL, mimo.ErrorCode(err), "only an unavailable database queues writes")
	assert.Zero(t, f.Spool.Pending())
}

func TestAGetTheCacheCannotServeIsUnavailable(t *testing.T) {
	f := outageFixture(t, "")
	ids := f.StoreAll(t, "team", "One.")
	f.Switch.Fail(errDown)
	_, err := f.Service.Get(context.Background(), "team", "0190a0a0-0000-7000-8000-000000000000")
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
	m, err := f.Service.Get(context.Background(), "team", ids[0])
	require.NoError(t, err, "a memory written recently is cached")
	assert.Equal(t, "One.", m.Content)
}

func TestAFullSpoolRefusesTheWrite(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true, Outage: true, SpoolMax: 512})
	f.Switch.Fail(errDown)
	_, err := f.Service.Store(context.Background(), mimo.StoreRequest{Content: "A memory whose vector alone is larger than the spool."})
	require.Error(t, err)
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
	assert.ErrorIs(t, err, spool.ErrFull)
	assert.Zero(t, f.Spool.Pending())
}

func TestQueuedWritesAreAppliedAtTheNextStart(t *testing.T) {
	dir := t.TempDir()
	f := outageFixture(t, dir)
	f.Switch.Fail(errDown)
	res, err := f.Service.Store(context.Background(), mimo.StoreRequest{Namespace: "team", Content: "Queued before a crash."})
	require.NoError(t, err)
	require.True(t, res.Queued)
	batch, err := f.Service.StoreBatch(context.Background(), []mimo.StoreRequest{
		{Namespace: "team", Content: "Batch one."}, {Namespace: "ops", Content: "Batch two."}, {Content: ""},
	})
	require.NoError(t, err)
	require.True(t, batch[0].Result.Queued)
	require.True(t, batch[1].Result.Queued)
	require.Error(t, batch[2].Err, "an invalid item is refused, not queued")
	f.Close() // the process dies with the writes queued

	g := outageFixture(t, dir)
	require.Eventually(t, func() bool { return g.Spool.Pending() == 0 }, 5*time.Second, 10*time.Millisecond,
		"the new process applies the spool at start")
	m, err := g.Service.Get(context.Background(), "team", res.Memory.ID)
	require.NoError(t, err)
	assert.Equal(t, "Queued before a crash.", m.Content)
	assert.Equal(t, res.Memory.CreatedAt, m.CreatedAt, "stored as acknowledged: same id, same time")
	_, err = g.Service.Get(context.Background(), "ops", batch[1].Result.Memory.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, g.Switch.Writes("create "+res.Memory.ID))
}

// copyDir copies the files of src into dst, a new directory.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o700))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
}

func TestReplayingAppliedWritesAgainChangesNothing(t *testing.T) {
	dir := t.TempDir()
	f := outageFixture(t, dir)
	ctx := context.Background()
	ids := f.StoreAll(t, "team", "Staging runs on db-2.")
	a := ids[0]
	f.Switch.Fail(errDown)
	f.Clock.Advance(time.Second)
	res, err := f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "The freeze starts Friday."})
	require.NoError(t, err)
	b := res.Memory.ID
	content := "Staging runs on db-3."
	_, err = f.Service.Update(ctx, "team", a, mimo.UpdateRequest{Content: &content})
	require.NoError(t, err)
	res, err = f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Gone soon."})
	require.NoError(t, err)
	c := res.Memory.ID
	require.NoError(t, f.Service.Delete(ctx, "team", c))

	// Keep the spool as it was before the replay: as if the process had
	// applied every record and died before marking any.
	copyDir(t, filepath.Join(dir, "spool"), filepath.Join(dir, "spool.before"))
	f.Switch.Recover()
	f.Clock.Advance(breakerReset)
	n, err := f.Service.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	before, err := f.Store.GetMemory(ctx, "team", a)
	require.NoError(t, err)
	f.Close()
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "spool")))
	require.NoError(t, os.Rename(filepath.Join(dir, "spool.before"), filepath.Join(dir, "spool")))

	g := outageFixture(t, dir)
	require.Eventually(t, func() bool { return g.Spool.Pending() == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Zero(t, g.Switch.Writes("create "+b), "a memory already stored is not stored again")
	// c, stored and deleted, is stored and deleted again: the end is the
	// same. (Only the one record being marked when a process dies is ever
	// applied twice; this replays all four.)
	after, err := g.Store.GetMemory(ctx, "team", a)
	require.NoError(t, err)
	assert.Equal(t, before.Content, after.Content)
	assert.Equal(t, before.UpdatedAt, after.UpdatedAt, "an update carries its final values")
	n64, err := g.Store.CountMemories(ctx, "team")
	require.NoError(t, err)
	assert.Equal(t, int64(2), n64)
	_, err = g.Store.GetMemory(ctx, "team", c)
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err))
}

func TestTheDrainerClosesTheCircuitWithoutTraffic(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	f.Switch.Fail(errDown)
	for range 2 {
		_, err := f.Service.List(ctx, mimo.ListQuery{})
		require.NoError(t, err, "served from the cache")
	}
	require.Equal(t, 2.0, dbCircuit(f))
	f.Switch.Recover()
	_, err := f.Service.Drain(ctx)
	require.Error(t, err, "refused while open: the database is not touched")
	f.Clock.Advance(breakerReset)
	n, err := f.Service.Drain(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Zero(t, dbCircuit(f), "the probe closed the circuit")
	assert.Equal(t, mimo.StatusOK, f.Service.Health(ctx).Status)
}

func TestMemoriesFoundBySearchAreServedWhileTheDatabaseIsDown(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	// Written by another process: in the database, not in this one's cache.
	m := storetest.NewMemory("team", "The on-call rota changes every Tuesday.")
	_, _, err := f.Store.CreateMemory(ctx, m)
	require.NoError(t, err)

	f.Switch.Fail(errDown)
	_, err = f.Service.Get(ctx, "team", m.ID)
	require.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "never read by this process: not cached")
	f.Switch.Recover()

	page, err := f.Service.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: "team"}, Query: "on-call rota"})
	require.NoError(t, err)
	require.NotEmpty(t, page.Results)
	f.Switch.Fail(errDown)
	got, err := f.Service.Get(ctx, "team", m.ID)
	require.NoError(t, err, "found by a search, so cached")
	assert.Equal(t, m.Content, got.Content)
}

// While the db circuit is open /health reports it without pinging the
// database: polled by every balancer and monitor, it must add no load to
// a database that is failing. Once the circuit half-opens it checks again.
func TestHealthAndReadyDoNotPingTheDatabaseWhileTheCircuitIsOpen(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	f.Switch.Fail(errDown)
	for range 2 {
		_, err := f.Service.List(ctx, mimo.ListQuery{})
		require.NoError(t, err, "served from the cache")
	}
	require.Equal(t, 2.0, dbCircuit(f), "two failures opened the circuit")

	pings := f.Switch.Pings()
	for range 5 {
		h := f.Service.Health(ctx)
		assert.Equal(t, mimo.StatusDegraded, h.Status, "with a spool the service still serves")
		db := h.Components["db"]
		assert.Equal(t, mimo.StatusDown, db.Status)
		assert.Equal(t, "open", db.Circuit)
		assert.Contains(t, db.Error, "circuit is open")
		assert.Contains(t, db.Error, "writes are queued")
		_, err := f.Service.Stats(ctx, "")
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "stats cannot count without the database")
		err = f.Service.Ready(ctx)
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "not ready while the circuit is open")
		assert.Contains(t, mimo.ErrorMessage(err), "circuit is open")
	}
	assert.Equal(t, pings, f.Switch.Pings(), "no ping reached the database while its circuit was open")

	// Half-open: /health checks the database again (bypassing the
	// circuit, so it leaves the probe to the drainer).
	f.Clock.Advance(breakerReset)
	h := f.Service.Health(ctx)
	assert.Equal(t, pings+1, f.Switch.Pings(), "one ping per health check once the circuit is not open")
	assert.Equal(t, mimo.StatusDown, h.Components["db"].Status, "still failing")
	assert.Equal(t, "half-open", h.Components["db"].Circuit)
	assert.Contains(t, h.Components["db"].Error, "database unavailable")

	assert.Error(t, f.Service.Ready(ctx), "half-open, the ping says the database still fails")
	assert.Equal(t, pings+2, f.Switch.Pings(), "Ready pings once the circuit is not open")

	f.Switch.Recover()
	_, err := f.Service.Drain(ctx)
	require.NoError(t, err)
	h = f.Service.Health(ctx)
	assert.Equal(t, mimo.StatusOK, h.Status)
	assert.Equal(t, "closed", h.Components["db"].Circuit)
	assert.NoError(t, f.Service.Ready(ctx))
}

// A long spool is replayed in batches of stores, with each update and
// delete between them applied alone in its place: every write exactly
// once, in the order acknowledged.
func TestALongSpoolIsReplayedInOrderExactlyOnce(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	f.Switch.Fail(errDown)
	var ids []string
	for i := range 1200 {
		res, err := f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: fmt.Sprintf("Queued note number %d.", i)})
		require.NoError(t, err)
		require.True(t, res.Queued)
		ids = append(ids, res.Memory.ID)
		switch i {
		case 300: // an update of a memory stored in the same run of stores
			content := "Queued note 10, corrected."
			_, err = f.Service.Update(ctx, "team", ids[10], mimo.UpdateRequest{Content: &content})
			require.NoError(t, err)
		case 700:
			require.NoError(t, f.Service.Delete(ctx, "team", ids[650]))
		case 900:
			batch, err := f.Service.StoreBatch(ctx, []mimo.StoreRequest{{Namespace: "team", Content: "Batch note one."}, {Namespace: "team", Content: "Batch note two."}})
			require.NoError(t, err)
			ids = append(ids, batch[0].Result.Memory.ID, batch[1].Result.Memory.ID)
		}
	}
	require.Equal(t, 1203, f.Spool.Pending())

	f.Switch.Recover()
	f.Clock.Advance(breakerReset)
	n, err := f.Service.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1203, n)
	assert.Zero(t, f.Spool.Pending())
	for _, id := range ids {
		assert.Equal(t, 1, f.Switch.Writes("create "+id), "stored exactly once")
	}
	assert.Equal(t, 1, f.Switch.Writes("update "+ids[10]))
	assert.Equal(t, 1, f.Switch.Writes("delete "+ids[650]))
	m, err := f.Store.GetMemory(ctx, "team", ids[10])
	require.NoError(t, err)
	assert.Equal(t, "Queued note 10, corrected.", m.Content, "the update came after its store")
	_, err = f.Store.GetMemory(ctx, "team", ids[650])
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err), "the delete came after its store")
	count, err := f.Store.CountMemories(ctx, "team")
	require.NoError(t, err)
	assert.Equal(t, int64(len(ids)-1), count)
}
