package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/sqlite"
	"mimo/system/storetest"
)

var allVersions = []int64{1, 2, 3, 4, 5}

func TestMigrateUpDownUp(t *testing.T) {
	ctx := t.Context()
	s := openAt(t, filepath.Join(t.TempDir(), "m.db"), false)

	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Zero(t, v, "Open does not migrate")
	st, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	require.Len(t, st, len(allVersions))
	for i, m := range st {
		assert.Equal(t, allVersions[i], m.Version)
		assert.False(t, m.Applied)
		assert.NotEmpty(t, m.Name)
	}
	_, err = s.CountMemories(ctx, "*")
	requireCode(t, err, mimo.EUNAVAILABLE, "an unmigrated store is unavailable, not broken")

	applied, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, allVersions, applied)
	applied, err = s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Empty(t, applied, "a second MigrateUp has nothing to do")
	v, err = s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, allVersions[len(allVersions)-1], v)
	st, err = s.MigrationStatus(ctx)
	require.NoError(t, err)
	for _, m := range st {
		assert.True(t, m.Applied, "version %d", m.Version)
		assert.False(t, m.AppliedAt.IsZero())
	}

	// Data survives rolling back and re-applying the graph, the change log
	// and the full-text index, and the index is rebuilt from it. The graph
	// goes with its tables.
	a := storetest.NewMemory("mig", "the migration keeps this walrus")
	_, _, err = s.CreateMemory(ctx, a)
	require.NoError(t, err)
	_, err = s.CreateEntities(ctx, "mig", []mimo.Entity{{Name: "walrus", EntityType: "animal"}})
	require.NoError(t, err)
	down, err := s.MigrateDown(ctx, 4)
	require.NoError(t, err)
	assert.Equal(t, []int64{5, 4, 3, 2}, down)
	_, err = s.TextSearch(ctx, "walrus", mimo.Filter{Namespace: "mig"}, 10)
	require.Error(t, err, "the index is gone")
	_, err = s.ReadGraph(ctx, "mig", "", 0)
	requireCode(t, err, mimo.EUNAVAILABLE, "the graph is gone")
	applied, err = s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 3, 4, 5}, applied)
	g, err := s.ReadGraph(ctx, "mig", "", 0)
	require.NoError(t, err)
	assert.Empty(t, g.Entities, "up after down starts with an empty graph")
	hits, err := s.TextSearch(ctx, "walrus", mimo.Filter{Namespace: "mig"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{a.ID}, []string{hits[0].ID})

	// Every down step works, down to nothing, and up again.
	down, err = s.MigrateDown(ctx, 10)
	require.NoError(t, err)
	assert.Equal(t, []int64{5, 4, 3, 2, 1}, down)
	v, err = s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Zero(t, v)
	assert.Equal(t, []string{"goose_db_version"}, userTables(t, s.Path()), "down removes every table it made")
	down, err = s.MigrateDown(ctx, 1)
	require.NoError(t, err)
	assert.Empty(t, down)
	_, err = s.MigrateDown(ctx, 0)
	requireCode(t, err, mimo.EINVALID)

	applied, err = s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, allVersions, applied)
	_, _, err = s.CreateMemory(ctx, storetest.NewMemory("mig", "works after the round trip"))
	require.NoError(t, err)
}

// userTables lists the tables of the database file, besides SQLite's own.
func userTables(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	require.NoError(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	return names
}

// Several stores migrating one fresh file at once each succeed, and each
// migration runs exactly once.
func TestMigrateUpConcurrently(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "race.db")
			const n = 4
			stores := make([]*sqlite.Store, n)
			for i := range stores {
				stores[i] = openAt(t, path, false)
			}
			applied := make([][]int64, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() { applied[i], errs[i] = s.MigrateUp(t.Context()) })
			}
			wg.Wait()
			var all []int64
			for i := range stores {
				require.NoError(t, errs[i], "store %d", i)
				all = append(all, applied[i]...)
			}
			assert.ElementsMatch(t, allVersions, all, "each migration applied once in all")
			for _, s := range stores {
				v, err := s.SchemaVersion(t.Context())
				require.NoError(t, err)
				assert.Equal(t, allVersions[len(allVersions)-1], v)
			}
			db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
			require.NoError(t, err)
			defer db.Close()
			var rows int
			require.NoError(t, db.QueryRowContext(t.Context(), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&rows))
			assert.Equal(t, len(allVersions), rows, "no version recorded twice")
		})
	}
}

func requireCode(t testing.TB, err error, code string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, code, mimo.ErrorCode(err), "error %v", err)
}
