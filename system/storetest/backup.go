package storetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

// BackupStore is a store that backs itself up: what RunBackuper tests.
type BackupStore interface {
	mimo.Store
	mimo.GraphStore
	mimo.Backuper
}

// Backups is what RunBackuper needs from a store package.
type Backups struct {
	// Open returns a migrated store on a new, empty database.
	Open func(t *testing.T) BackupStore
	// Restore restores the backup at path into the database of s, as
	// `mimo restore` would, and returns a store on that database after
	// it (s itself, or a new store if restoring needs s closed), whether or
	// not the restore succeeded.
	Restore func(t *testing.T, s BackupStore, path string, force bool) (BackupStore, error)
}

// RunBackuper runs the contract of mimo.Backuper and of the store
// package's restore as sub-tests of t:
//
//   - A backup restored into a new database gives the same memories (every
//     field, vectors bit for bit, supersedes on both sides, every
//     namespace), the same graph, and both searchable.
//   - A backup taken while writers run is consistent: it holds every
//     memory written before it began, none written after it ended, every
//     supersede in it on both sides, and a change log that a new follower
//     can replay to exactly its memories.
//   - Backup never overwrites a file (ECONFLICT) and leaves no temporary
//     file behind.
//   - Restore refuses, with ECONFLICT and changing nothing, a database that
//     holds memories or a graph, unless forced; forced, it replaces all of
//     it. An empty, migrated database needs no force.
func RunBackuper(t *testing.T, b Backups) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, b Backups)
	}{
		{"Backup/RestoreGivesSameMemoriesAndGraph", testBackupRestore},
		{"Backup/ConsistentWhileWriting", testBackupWhileWriting},
		{"Backup/NeverOverwrites", testBackupNeverOverwrites},
		{"Restore/RefusesLiveDataUnlessForced", testRestoreRefuses},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, b) })
	}
}

// backupGraph is the graph testBackupRestore stores, in ReadGraph's order.
var backupGraph = map[string]mimo.Graph{
	"bk-a": {
		Entities: []mimo.Entity{
			{Name: "Ada", EntityType: "person", Observations: []string{"wrote the first program", "ÉCOLE", "a \"quoted\"\nline"}},
			{Name: "Engine", EntityType: "machine", Observations: []string{}},
		},
		Relations: []mimo.Relation{{From: "Ada", To: "Engine", RelationType: "programmed"}, {From: "Engine", To: "Ada", RelationType: "built for"}},
	},
	"bk-b": {Entities: []mimo.Entity{{Name: "Ada", EntityType: "ship", Observations: []string{"Ω"}}}, Relations: []mimo.Relation{}},
}

func testBackupRestore(t *testing.T, b Backups) {
	ctx := t.Context()
	src := b.Open(t)
	full := NewMemory("bk-a", "the walrus is present before the backup")
	full.Tags = []string{"b", "a"}
	full.Metadata = json.RawMessage(`{"k":[1,2,{"x":null}]}`)
	last := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	full.LastAccessedAt, full.AccessCount = &last, 3
	bare := NewMemory("bk-b", "a memory with no embedding")
	bare.Embedding, bare.EmbeddingModel, bare.EmbeddingDim = mimo.Embedding{}, "", 0
	old := NewMemory("bk-a", "the old version")
	newer := NewMemory("bk-a", "the new version")
	newer.Supersedes = old.ID
	for _, m := range []*mimo.Memory{full, bare, old, newer} {
		create(t, src, m)
	}
	old, err := src.GetMemory(ctx, "bk-a", old.ID) // now superseded
	require.NoError(t, err)
	want := []*mimo.Memory{full, bare, old, newer}
	for ns, g := range backupGraph {
		_, err := src.CreateEntities(ctx, ns, g.Entities)
		require.NoError(t, err)
		_, err = src.CreateRelations(ctx, ns, g.Relations)
		require.NoError(t, err)
	}

	path := filepath.Join(t.TempDir(), "backup")
	require.NoError(t, src.Backup(ctx, path))
	dst, err := b.Restore(t, b.Open(t), path, false)
	require.NoError(t, err, "an empty database is restored into without force")

	n, err := dst.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.EqualValues(t, len(want), n)
	for _, m := range want {
		got, err := dst.GetMemory(ctx, m.Namespace, m.ID)
		if assert.NoError(t, err, m.Content) {
			AssertSameMemory(t, m, got, true)
		}
	}
	hits, err := dst.TextSearch(ctx, "walrus", mimo.Filter{Namespace: "bk-a"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{full.ID}, hitIDs(hits), "the restored memories are searchable")
	for ns, g := range backupGraph {
		got, err := dst.ReadGraph(ctx, ns, "", 0)
		require.NoError(t, err)
		assert.Equal(t, g.Entities, got.Entities, "entities of %s", ns)
		assert.ElementsMatch(t, g.Relations, got.Relations, "relations of %s", ns)
	}
	found, err := dst.SearchNodes(ctx, "bk-a", "école", 0)
	require.NoError(t, err)
	assert.Len(t, found.Entities, 1, "the restored graph is searchable")
}

// Three writers store chains of superseding memories while the backup
// runs.
func testBackupWhileWriting(t *testing.T, b Backups) {
	ctx := t.Context()
	src := b.Open(t)
	var seed []*mimo.Memory
	for i := range 100 {
		seed = append(seed, NewMemory("race-seed", fmt.Sprintf("seed memory %d", i)))
	}
	createAll(t, src, seed)

	var (
		wg      sync.WaitGroup
		stop    atomic.Bool
		written atomic.Int64
	)
	const writers = 3
	for w := range writers {
		wg.Go(func() {
			prev := ""
			for i := 0; !stop.Load() || i < 5; i++ {
				m := NewMemory("race", fmt.Sprintf("writer %d version %d", w, i))
				m.Supersedes = prev
				if _, _, err := src.CreateMemory(ctx, m); err != nil {
					t.Error(err)
					return
				}
				prev = m.ID
				written.Add(1)
			}
		})
	}
	for written.Load() < 15 {
		time.Sleep(time.Millisecond) // let the writes get under way
	}
	before, err := src.CountMemories(ctx, "race")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "backup")
	require.NoError(t, src.Backup(ctx, path))
	after, err := src.CountMemories(ctx, "race")
	require.NoError(t, err)
	stop.Store(true)
	wg.Wait()

	dst, err := b.Restore(t, b.Open(t), path, false)
	require.NoError(t, err)
	n, err := dst.CountMemories(ctx, "race")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, before, "every memory written before the backup began is in it")
	assert.LessOrEqual(t, n, after, "no memory written after it ended is in it")
	for _, m := range seed[:5] {
		got, err := dst.GetMemory(ctx, "race-seed", m.ID)
		require.NoError(t, err)
		AssertSameMemory(t, m, got, true)
	}
	snap := listAll(t, dst, "race")
	require.Len(t, snap, int(n))
	assert.Equal(t, keys(snap), followLog(t, dst, "race"),
		"following the restored change log from its start gives the restored memories")
	for id, m := range snap {
		if m.Supersedes != "" {
			old, ok := snap[m.Supersedes]
			if assert.True(t, ok, "%s supersedes %s, which is not in the backup", id, m.Supersedes) {
				assert.Equal(t, id, old.SupersededBy, "the supersede is in the backup on both sides")
			}
		}
		if m.SupersededBy != "" {
			_, ok := snap[m.SupersededBy]
			assert.True(t, ok, "%s is superseded by %s, which is not in the backup", id, m.SupersededBy)
		}
	}
}

// listAll returns every memory of ns, superseded ones too, by ID.
func listAll(t *testing.T, s mimo.Store, ns string) map[string]*mimo.Memory {
	t.Helper()
	out := map[string]*mimo.Memory{}
	q := mimo.ListQuery{Filter: mimo.Filter{Namespace: ns, IncludeSuperseded: true}, Limit: mimo.MaxListLimit}
	for {
		page, err := s.ListMemories(t.Context(), q)
		require.NoError(t, err)
		for _, m := range page.Memories {
			out[m.ID] = m
		}
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

// followLog replays s's change log from its start, as a new follower
// does, and returns the IDs of ns it ends with.
func followLog(t *testing.T, s mimo.Store, ns string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	after := int64(0)
	for {
		cs, err := s.Changes(t.Context(), after, 500)
		require.NoError(t, err)
		if len(cs) == 0 {
			return out
		}
		for _, c := range cs {
			require.Greater(t, c.Seq, after)
			after = c.Seq
			if c.Namespace != ns {
				continue
			}
			if c.Op == mimo.OpDelete {
				delete(out, c.ID)
			} else {
				out[c.ID] = true
			}
		}
	}
}

func keys(ms map[string]*mimo.Memory) map[string]bool {
	out := make(map[string]bool, len(ms))
	for id := range ms {
		out[id] = true
	}
	return out
}

func testBackupNeverOverwrites(t *testing.T, b Backups) {
	s := b.Open(t)
	create(t, s, NewMemory("bk", "something to back up"))
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")
	require.NoError(t, os.WriteFile(path, []byte("precious"), 0o600))
	requireCode(t, s.Backup(t.Context(), path), mimo.ECONFLICT)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(raw), "an existing file is never overwritten")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")
}

func testRestoreRefuses(t *testing.T, b Backups) {
	ctx := t.Context()
	src := b.Open(t)
	keep := create(t, src, NewMemory("r", "the memory in the backup"))
	path := filepath.Join(t.TempDir(), "backup")
	require.NoError(t, src.Backup(ctx, path))

	dst := b.Open(t)
	other := create(t, dst, NewMemory("r", "a memory only the target has"))
	dst, err := b.Restore(t, dst, path, false)
	requireCode(t, err, mimo.ECONFLICT, "a database with memories is not replaced without force")
	got, err := dst.GetMemory(ctx, "r", other.ID)
	require.NoError(t, err, "a refused restore changes nothing")
	AssertSameMemory(t, other, got, true)
	_, err = dst.GetMemory(ctx, "r", keep.ID)
	requireCode(t, err, mimo.ENOTFOUND)

	dst, err = b.Restore(t, dst, path, true)
	require.NoError(t, err)
	_, err = dst.GetMemory(ctx, "r", other.ID)
	requireCode(t, err, mimo.ENOTFOUND, "force replaces what was there")
	got, err = dst.GetMemory(ctx, "r", keep.ID)
	require.NoError(t, err)
	AssertSameMemory(t, keep, got, true)

	graphOnly := b.Open(t)
	_, err = graphOnly.CreateEntities(ctx, "r", []mimo.Entity{{Name: "kept", EntityType: "t", Observations: []string{}}})
	require.NoError(t, err)
	graphOnly, err = b.Restore(t, graphOnly, path, false)
	requireCode(t, err, mimo.ECONFLICT, "a database holding only a graph is not replaced without force either")
	g, err := graphOnly.ReadGraph(ctx, "r", "", 0)
	require.NoError(t, err)
	assert.Len(t, g.Entities, 1, "the graph is left alone")
}
