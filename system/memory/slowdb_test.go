package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/memory/memorytest"
	"mimo/system/storetest"
)

// writeWhileHeld stores content while the database holds the calls the
// test chose, and fails the test if the write waits on one of them: it
// must be answered, queued, without reaching the slow database. waiting
// is the channel Hold returned; a call of the write's that starts waiting
// on it is the failure (no clock is read).
func writeWhileHeld(t *testing.T, f *memorytest.Fixture, waiting <-chan string, content string) *mimo.StoreResult {
	t.Helper()
	type answer struct {
		res *mimo.StoreResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := f.Service.Store(context.Background(), mimo.StoreRequest{Namespace: "team", Content: content})
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		require.NoError(t, a.err)
		assert.True(t, a.res.Queued, "queued (202)")
		return a.res
	case op := <-waiting:
		t.Fatalf("the write waits on the slow database (%s) instead of being queued", op)
		return nil
	}
}

// drain runs Service.Drain in the background and returns its answer's
// channel.
func drain(f *memorytest.Fixture) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := f.Service.Drain(context.Background())
		done <- err
	}()
	return done
}

func TestWritesAreNotHeldByTheHalfOpenProbeOnASlowDatabase(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	f.StoreAll(t, "team", "Staging runs on the host db-2.")

	// Reads open the circuit; nothing is queued yet.
	f.Switch.Fail(errDown)
	for range 2 {
		_, err := f.Service.List(ctx, mimo.ListQuery{})
		require.NoError(t, err, "served from the cache")
	}
	require.Equal(t, 2.0, dbCircuit(f), "open")
	require.Zero(t, f.Spool.Pending())

	// The database is back but answers only when the test says so.
	f.Switch.Recover()
	waiting, release := f.Switch.Hold()
	defer release()
	f.Clock.Advance(breakerReset)

	// Half-open with no probe yet: a write does not make itself the
	// probe (it would wait on the database); it is queued.
	first := writeWhileHeld(t, f, waiting, "Written while the circuit is half-open.")

	// The drainer takes the probe, which the database holds: a write
	// meanwhile is queued, not put behind the probe.
	drained := drain(f)
	require.Equal(t, "Ping", <-waiting, "the drainer's probe is in flight")
	second := writeWhileHeld(t, f, waiting, "Written while the probe waits on the database.")

	release()
	require.NoError(t, <-drained)
	assert.Zero(t, f.Spool.Pending(), "the probe closed the circuit and the queued writes were applied")
	assert.Zero(t, dbCircuit(f))
	for _, res := range []*mimo.StoreResult{first, second} {
		assert.Equal(t, 1, f.Switch.Writes("create "+res.Memory.ID), "applied once")
	}
}

func TestWritesAreNotHeldByAReplayOnASlowDatabase(t *testing.T) {
	f := outageFixture(t, "")
	ctx := context.Background()
	f.StoreAll(t, "team", "Staging runs on the host db-2.")
	f.Switch.Fail(errDown)
	for range 2 {
		_, err := f.Service.List(ctx, mimo.ListQuery{})
		require.NoError(t, err)
	}
	queued, err := f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Queued while the database was down."})
	require.NoError(t, err)
	require.True(t, queued.Queued)

	// The database answers a ping at once but holds every other call, as
	// a database slower than the store's timeout does: the probe closes
	// the circuit and the replay then waits.
	f.Switch.Recover()
	waiting, release := f.Switch.Hold("CreateMemory", "CreateMemories", "GetMemory", "GetMemories", "GetMemoriesNoVector", "Changes", "LastChange", "TextSearch", "ListMemories", "UpdateMemory", "DeleteMemory", "TouchMemories")
	defer release()
	f.Clock.Advance(breakerReset)
	drained := drain(f)
	require.Equal(t, "GetMemories", <-waiting, "the replay is in flight")
	require.Zero(t, dbCircuit(f), "the probe closed the circuit")
	require.Equal(t, 1, f.Spool.Pending())

	// Closed, with a write still queued: a new write goes behind it in the
	// spool without waiting on the database (not even to catch the vector
	// index up).
	later := writeWhileHeld(t, f, waiting, "Written while the replay waits on the database.")

	release()
	require.NoError(t, <-drained)
	assert.Zero(t, f.Spool.Pending())
	for _, res := range []*mimo.StoreResult{queued, later} {
		assert.Equal(t, 1, f.Switch.Writes("create "+res.Memory.ID), "applied once, in order")
	}
}

func TestAStoreCatchesTheIndexUpAlongsideItsInsert(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true, Outage: true})
	ctx := context.Background()
	// Written by another process: only the index's catch-up brings it in.
	other := storetest.NewMemory("team", "Staging runs on the host db-2.")
	vs, err := f.Embedder.Embed(ctx, []string{other.Content})
	require.NoError(t, err)
	other.Embedding = mimo.Embedding{Vector: vs[0], Model: f.Embedder.Model(), Dim: f.Embedder.Dim()}
	_, _, err = f.Store.CreateMemory(ctx, other)
	require.NoError(t, err)

	store := func(content string) <-chan *mimo.StoreResult {
		done := make(chan *mimo.StoreResult, 1)
		go func() {
			res, err := f.Service.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: content})
			assert.NoError(t, err)
			done <- res
		}()
		return done
	}

	// Both round trips are in flight before either is answered.
	waiting, release := f.Switch.Hold("Changes", "CreateMemory")
	defer release()
	done := store("staging runs on the host DB-2!")
	seen := map[string]bool{<-waiting: true}
	seen[<-waiting] = true
	assert.Equal(t, map[string]bool{"Changes": true, "CreateMemory": true}, seen, "the catch-up and the insert are made at once")
	release()
	res := <-done
	require.NotNil(t, res)
	assert.True(t, res.Created)
	assert.Equal(t, other.ID, res.DuplicateOf, "the catch-up found the other process's near-duplicate")

	// A catch-up that reads the new memory's own insert does not make it
	// its own duplicate.
	waiting, release = f.Switch.Hold("Changes")
	defer release()
	done = store("The team lunch is on Thursdays.")
	require.Equal(t, "Changes", <-waiting)
	require.Eventually(t, func() bool {
		n, err := f.Store.CountMemories(ctx, "team")
		return err == nil && n == 3
	}, 5*time.Second, time.Millisecond, "the insert is done while the catch-up waits")
	release()
	res = <-done
	require.NotNil(t, res)
	assert.True(t, res.Created)
	assert.Empty(t, res.DuplicateOf, "no other memory is like it")
}
