package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/sqlite"
	"mimo/system/storetest"
)

// A backup taken while writers run is a consistent snapshot: restored into
// a new file, its memories and its change log agree, and it holds every
// memory written before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openAt(t, filepath.Join(dir, "live.db"), true)
	var seed []*mimo.Memory
	for i := range 200 {
		seed = append(seed, storetest.NewMemory("race", fmt.Sprintf("seed memory %d", i)))
	}
	_, err := s.CreateMemories(ctx, seed)
	require.NoError(t, err)
	graph := []mimo.Entity{
		{Name: "Ada", EntityType: "person", Observations: []string{"wrote the first program", "École"}},
		{Name: "Engine", EntityType: "machine", Observations: []string{}},
	}
	_, err = s.CreateEntities(ctx, "race", graph)
	require.NoError(t, err)
	_, err = s.CreateRelations(ctx, "race", []mimo.Relation{{From: "Ada", To: "Engine", RelationType: "programmed"}})
	require.NoError(t, err)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := s.CreateMemory(ctx, storetest.NewMemory("race", fmt.Sprintf("written during backup %d", i))); err != nil {
				writeErr = err
				return
			}
		}
	})
	before, err := s.CountMemories(ctx, "race")
	require.NoError(t, err)
	backup := filepath.Join(dir, "snap.db")
	require.NoError(t, s.Backup(ctx, backup))
	close(stop)
	wg.Wait()
	require.NoError(t, writeErr)
	after, err := s.CountMemories(ctx, "race")
	require.NoError(t, err)

	requireCode(t, s.Backup(ctx, backup), mimo.ECONFLICT, "a backup never overwrites")

	restored := filepath.Join(dir, "restored.db")
	require.NoError(t, sqlite.Restore(ctx, backup, restored, false))
	r := openAt(t, restored, true)
	n, err := r.CountMemories(ctx, "race")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, before)
	assert.LessOrEqual(t, n, after)
	assertLogConsistent(t, r)
	for _, m := range seed[:5] {
		got, err := r.GetMemory(ctx, "race", m.ID)
		require.NoError(t, err)
		storetest.AssertSameMemory(t, m, got, true)
	}
	hits, err := r.TextSearch(ctx, "seed", mimo.Filter{Namespace: "race"}, 5)
	require.NoError(t, err)
	assert.Len(t, hits, 5, "the full-text index is in the snapshot")
	g, err := r.ReadGraph(ctx, "race", "", 0)
	require.NoError(t, err)
	assert.Equal(t, graph, g.Entities, "the graph is in the snapshot")
	assert.Equal(t, []mimo.Relation{{From: "Ada", To: "Engine", RelationType: "programmed"}}, g.Relations)
	g, err = r.SearchNodes(ctx, "race", "école", 0)
	require.NoError(t, err)
	assert.Len(t, g.Entities, 1, "and searchable")
}

func TestRestoreRefusesToOverwrite(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src := openAt(t, filepath.Join(dir, "src.db"), true)
	m := storetest.NewMemory("ns", "from the backup")
	_, _, err := src.CreateMemory(ctx, m)
	require.NoError(t, err)
	backup := filepath.Join(dir, "b.db")
	require.NoError(t, src.Backup(ctx, backup))

	targetPath := filepath.Join(dir, "target.db")
	target := openAt(t, targetPath, true)
	other := storetest.NewMemory("ns", "already in the target")
	_, _, err = target.CreateMemory(ctx, other)
	require.NoError(t, err)
	require.NoError(t, target.Close())

	requireCode(t, sqlite.Restore(ctx, backup, targetPath, false), mimo.ECONFLICT)
	check := openAt(t, targetPath, false)
	_, err = check.GetMemory(ctx, "ns", other.ID)
	require.NoError(t, err, "a refused restore leaves the database alone")
	require.NoError(t, check.Close())

	require.NoError(t, sqlite.Restore(ctx, backup, targetPath, true))
	after := openAt(t, targetPath, false)
	got, err := after.GetMemory(ctx, "ns", m.ID)
	require.NoError(t, err)
	storetest.AssertSameMemory(t, m, got, true)
	_, err = after.GetMemory(ctx, "ns", other.ID)
	requireCode(t, err, mimo.ENOTFOUND, "force replaces the whole database")
	for _, suffix := range []string{"-journal"} {
		_, err := os.Stat(targetPath + suffix)
		assert.ErrorIs(t, err, os.ErrNotExist)
	}

	// A database holding only a graph is not replaced without force either.
	graphPath := filepath.Join(dir, "graph.db")
	gs := openAt(t, graphPath, true)
	_, err = gs.CreateEntities(ctx, "ns", []mimo.Entity{{Name: "kept", EntityType: "t", Observations: []string{}}})
	require.NoError(t, err)
	require.NoError(t, gs.Close())
	requireCode(t, sqlite.Restore(ctx, backup, graphPath, false), mimo.ECONFLICT)

	// An empty (migrated, no memories) database is replaced without force.
	emptyPath := filepath.Join(dir, "empty.db")
	e := openAt(t, emptyPath, true)
	require.NoError(t, e.Close())
	require.NoError(t, sqlite.Restore(ctx, backup, emptyPath, false))
}

// A database left by a killed process has committed pages only in its WAL.
// A forced restore must not replay that stale WAL into the restored file.
func TestRestoreDiscardsStaleWAL(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src := openAt(t, filepath.Join(dir, "src.db"), true)
	want := storetest.NewMemory("ns", "the restored truth")
	_, _, err := src.CreateMemory(ctx, want)
	require.NoError(t, err)
	backup := filepath.Join(dir, "b.db")
	require.NoError(t, src.Backup(ctx, backup))

	// Copy a live database and its WAL while it is open, as a crash leaves them.
	live := openAt(t, filepath.Join(dir, "live.db"), true)
	stale := storetest.NewMemory("ns", "only in the stale WAL")
	_, _, err = live.CreateMemory(ctx, stale)
	require.NoError(t, err)
	crashed := filepath.Join(dir, "crashed.db")
	copyLive := func() {
		t.Helper()
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(live.Path() + suffix)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(crashed+suffix, b, 0o600))
		}
	}
	copyLive()
	check := openAt(t, crashed, false)
	_, err = check.GetMemory(ctx, "ns", stale.ID)
	require.NoError(t, err, "the crashed copy holds the memory in its WAL")
	require.NoError(t, check.Close())
	copyLive()

	requireCode(t, sqlite.Restore(ctx, backup, crashed, false), mimo.ECONFLICT, "memories in the WAL count")
	// Checking the target above checkpointed its WAL; leave a stale one again.
	copyLive()
	require.NoError(t, sqlite.Restore(ctx, backup, crashed, true))
	_, err = os.Stat(crashed + "-wal")
	require.ErrorIs(t, err, os.ErrNotExist)
	r := openAt(t, crashed, false)
	got, err := r.GetMemory(ctx, "ns", want.ID)
	require.NoError(t, err)
	storetest.AssertSameMemory(t, want, got, true)
	_, err = r.GetMemory(ctx, "ns", stale.ID)
	requireCode(t, err, mimo.ENOTFOUND)
	n, err := r.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

func TestRestoreRejectsBadBackups(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.db")

	requireCode(t, sqlite.Restore(ctx, filepath.Join(dir, "missing.db"), target, false), mimo.ENOTFOUND)

	text := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("these are not the pages of a database, just a long enough text file to look like one"), 0o600))
	requireCode(t, sqlite.Restore(ctx, text, target, false), mimo.EINVALID)

	// A database, but not Mimo's.
	foreign := openAt(t, filepath.Join(dir, "foreign.db"), false)
	require.NoError(t, foreign.Close())
	requireCode(t, sqlite.Restore(ctx, foreign.Path(), target, false), mimo.EINVALID)

	requireCode(t, sqlite.Restore(ctx, "", target, false), mimo.EINVALID)
	_, err := os.Stat(target)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing was written")

	// A target that is not a database is not replaced without force.
	good := openAt(t, filepath.Join(dir, "good.db"), true)
	backup := filepath.Join(dir, "good.bak")
	require.NoError(t, good.Backup(ctx, backup))
	requireCode(t, sqlite.Restore(ctx, backup, text, false), mimo.ECONFLICT)
	require.NoError(t, sqlite.Restore(ctx, backup, text, true))
}

func TestBackupCancelled(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dest := filepath.Join(t.TempDir(), "never.db")
	require.Error(t, s.Backup(ctx, dest))
	_, err := os.Stat(dest)
	assert.ErrorIs(t, err, os.ErrNotExist)
	entries, err := os.ReadDir(filepath.Dir(dest))
	require.NoError(t, err)
	assert.Empty(t, entries, "no temporary file is left behind")
	requireCode(t, s.Backup(t.Context(), ""), mimo.EINVALID)
}
