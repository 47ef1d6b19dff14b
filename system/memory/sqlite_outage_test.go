package memory_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
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
	"mimo/system/storetest"
)

// sqliteStand is a service on a real SQLite file with a spool, and a
// second connection to the file that can take its write lock, as another
// process would.
type sqliteStand struct {
	logs  *lockedWriter // the service's log, as JSON lines
	svc   *memory.Service
	st    *sqlite.Store
	sp    *spool.Spool
	emb   *memorytest.Embedder
	clock *fakeclock.Clock
	conn  *sql.Conn
}

func newSQLiteStand(t *testing.T) *sqliteStand {
	t.Helper()
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
	logs := &lockedWriter{}
	svc, err := memory.New(memory.Options{Store: st, Embedder: emb, Index: idx, Follower: follower,
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()}), Now: clock.Now,
		Spool: sp, DrainInterval: time.Hour, BreakerFailures: 1, BreakerReset: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })

	other, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &sqliteStand{logs: logs, svc: svc, st: st, sp: sp, emb: emb, clock: clock, conn: conn}
}

// lock takes the database's write lock from the other connection until
// the returned function releases it: every write of the service then
// fails with EUNAVAILABLE ("database is busy") while reads go on, as
// they do on a database that is read-only or whose disk is full.
func (s *sqliteStand) lock(t *testing.T) (release func()) {
	t.Helper()
	_, err := s.conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(t, err)
	return func() {
		_, err := s.conn.ExecContext(context.Background(), "ROLLBACK")
		require.NoError(t, err)
	}
}

// A real SQLite failure, not a fake one: another process holds the
// database's write lock past the busy timeout, so every write fails with
// EUNAVAILABLE ("database is busy"). Writes are queued and answered;
// once the lock is released the drainer applies them.
func TestWritesToALockedSQLiteDatabaseAreQueuedThenApplied(t *testing.T) {
	ctx := context.Background()
	s := newSQLiteStand(t)
	release := s.lock(t)

	res, err := s.svc.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Written while another process held the lock."})
	require.NoError(t, err)
	require.True(t, res.Queued)
	got, err := s.svc.Get(ctx, "team", res.Memory.ID)
	require.NoError(t, err)
	assert.Equal(t, res.Memory.Content, got.Content)
	assert.Equal(t, 1, s.sp.Pending())

	release()
	s.clock.Advance(time.Minute)
	n, err := s.svc.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	stored, err := s.st.GetMemory(ctx, "team", res.Memory.ID)
	require.NoError(t, err)
	assert.Equal(t, res.Memory.Content, stored.Content)
	assert.Len(t, stored.Embedding.Vector, s.emb.Dim(), "stored with the vector made before it was queued")
}

// A database that answers reads but cannot be written (read-only, full,
// or locked as here) still answers a get of a memory the read cache does
// not hold, from itself and not degraded: only the access goes
// uncounted. Once it can be written again, gets count again.
func TestGetReadsADatabaseThatCannotBeWritten(t *testing.T) {
	ctx := context.Background()
	s := newSQLiteStand(t)
	// Stored behind the service's back, so its read cache does not hold it.
	m := storetest.NewMemory("team", "Stored before the database stopped taking writes.")
	_, _, err := s.st.CreateMemory(ctx, m)
	require.NoError(t, err)

	release := s.lock(t)
	octx, o := mimo.WithOutcome(ctx)
	got, err := s.svc.Get(octx, "team", m.ID)
	require.NoError(t, err, "the database reads while it cannot be written")
	assert.Equal(t, m.Content, got.Content)
	assert.Empty(t, o.Degraded(), "read from the database, not the cache")
	assert.Zero(t, got.AccessCount, "the access could not be counted")
	stored, err := s.st.GetMemory(ctx, "team", m.ID)
	require.NoError(t, err)
	assert.Zero(t, stored.AccessCount)

	release()
	s.clock.Advance(time.Minute) // past the db circuit's reset
	got, err = s.svc.Get(ctx, "team", m.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, got.AccessCount, "the answer counts its own access")
	require.NotNil(t, got.LastAccessedAt)
	stored, err = s.st.GetMemory(ctx, "team", m.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, stored.AccessCount)
	assert.True(t, got.LastAccessedAt.Equal(*stored.LastAccessedAt), "the answer's access time is the stored one")
}

// A database that answers reads but refuses writes fails every replay of
// the spool, once a drain interval: the first failure is warned of, the
// ones after it are logged for debugging, and a replay that goes through
// ends the run, so the next failure is warned of again.
func TestAReplayThatKeepsFailingIsWarnedOfOnce(t *testing.T) {
	ctx := context.Background()
	s := newSQLiteStand(t)
	release := s.lock(t)
	_, err := s.svc.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Queued while the database refused writes."})
	require.NoError(t, err)

	warned := func() int {
		return strings.Count(s.logs.String(), `"level":"WARN","msg":"replaying queued writes stopped`)
	}
	for range 3 {
		s.clock.Advance(time.Minute) // past the db circuit's reset: each drain reaches the database
		_, err := s.svc.Drain(ctx)
		require.Error(t, err)
	}
	assert.Equal(t, 1, warned(), "the first failed replay is warned of, the next are not:\n%s", s.logs.String())
	assert.Equal(t, 3, strings.Count(s.logs.String(), `"msg":"replaying queued writes stopped`), "each is logged")

	release()
	s.clock.Advance(time.Minute)
	n, err := s.svc.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	release = s.lock(t)
	defer release()
	_, err = s.svc.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "Queued in the next outage."})
	require.NoError(t, err)
	s.clock.Advance(time.Minute)
	_, err = s.svc.Drain(ctx)
	require.Error(t, err)
	assert.Equal(t, 2, warned(), "a new run of failures is warned of")
}

// lockedWriter is a log the service's goroutines write while the test
// reads it.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
