package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/storetest"
)

var allVersions = []int64{1, 2, 3, 4, 5, 6, 7}

// The contract (storetest.RunMigrator) covers the round trip; this pins
// what is SQLite's own: an unmigrated file is EUNAVAILABLE, as another
// process may be migrating it, and down removes every table it made.
func TestMigrateDownRemovesEveryTable(t *testing.T) {
	ctx := t.Context()
	s := openAt(t, filepath.Join(t.TempDir(), "m.db"), false)
	_, err := s.CountMemories(ctx, "*")
	requireCode(t, err, mimo.EUNAVAILABLE, "an unmigrated store is unavailable, not broken")
	applied, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, allVersions, applied)
	_, _, err = s.CreateMemory(ctx, storetest.NewMemory("mig", "dropped with its table"))
	require.NoError(t, err)
	down, err := s.MigrateDown(ctx, len(allVersions))
	require.NoError(t, err)
	assert.Len(t, down, len(allVersions))
	assert.Equal(t, []string{"goose_db_version"}, userTables(t, s.Path()), "down removes every table it made")
	_, err = s.CountMemories(ctx, "*")
	requireCode(t, err, mimo.EUNAVAILABLE)
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

func requireCode(t testing.TB, err error, code string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, code, mimo.ErrorCode(err), "error %v", err)
}

// stampVersion records version as applied in the database at path, as a
// newer build's migration would, without changing the schema.
func stampVersion(t *testing.T, path string, version int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(t.Context(), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, version)
	require.NoError(t, err)
}
