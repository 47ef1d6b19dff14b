package memory_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"mimo/system"
	"mimo/system/index"
	"mimo/system/internal/fakeclock"
	"mimo/system/memory"
	"mimo/system/memory/memorytest"
	"mimo/system/metrics"
	"mimo/system/spool"
	"mimo/system/sqlite"
)

// A real SQLite failure, not a fake one: another process holds the
// database's write lock past the busy timeout, so every write fails with
// EUNAVAILABLE ("database is busy"). Writes are queued and answered;
// once the lock is released the drainer applies them.
func TestWritesToALockedSQLiteDatabaseAreQueuedThenApplied(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "mimo.db")
	st, err := sqlite.Open(ctx, sqlite.Options{Path: path, BusyTimeout: time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.MigrateUp(ctx)
	require.NoError(t, err)
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })

	clock := fakeclock.New(memorytest.Start)
	emb := memorytest.NewEmbedder()
	idx := index.New(index.Options{Dim: emb.Dim()})
	follower := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Model: emb.Model()})
	require.NoError(t, follower.Load(ctx))
	svc, err := memory.New(memory.Options{Store: st, Embedder: emb, Index: idx, Follower: follower,
		Metrics: metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()}), Now: clock.Now,
		Spool: sp, DrainInterval: time.Hour, BreakerFailures: 1, BreakerReset: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })

	other, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	res, err := svc.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Written while another process held the lock."})
	require.NoError(t, err)
	require.True(t, res.Queued)
	got, err := svc.Get(ctx, "team", res.Memory.ID)
	require.NoError(t, err)
	assert.Equal(t, res.Memory.Content, got.Content)
	assert.Equal(t, 1, sp.Pending())

	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	clock.Advance(time.Minute)
	n, err := svc.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	stored, err := st.GetMemory(ctx, "team", res.Memory.ID)
	require.NoError(t, err)
	assert.Equal(t, res.Memory.Content, stored.Content)
	assert.Len(t, stored.Embedding.Vector, emb.Dim(), "stored with the vector made before it was queued")
}
