package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/sqlite"
	"mimo/system/storetest"
)

// openStore opens and migrates a store on a fresh file in a temporary
// directory, closed when the test ends.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "mimo.db"), true)
}

// openAt opens a store on path, migrating it if migrate.
func openAt(t testing.TB, path string, migrate bool) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	if migrate {
		_, err := s.MigrateUp(t.Context())
		require.NoError(t, err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mimo.Store { return openStore(t) })
}

func TestGraphContract(t *testing.T) {
	storetest.RunGraph(t, func(t *testing.T) mimo.GraphStore { return openStore(t) })
}

func TestMigratorContract(t *testing.T) {
	storetest.RunMigrator(t, func(t *testing.T) storetest.MigratorDatabase {
		path := filepath.Join(t.TempDir(), "mimo.db")
		return storetest.MigratorDatabase{
			Open:  func(t *testing.T) storetest.MigratingStore { return openAt(t, path, false) },
			Stamp: func(t *testing.T, version int64) { stampVersion(t, path, version) },
		}
	})
}

// TestBackuperContract restores as `mimo restore` does: with the store
// closed, then opens the restored file.
func TestBackuperContract(t *testing.T) {
	storetest.RunBackuper(t, storetest.Backups{
		Open: func(t *testing.T) storetest.BackupStore { return openStore(t) },
		Restore: func(t *testing.T, s storetest.BackupStore, backup string, force bool) (storetest.BackupStore, error) {
			db := s.(*sqlite.Store)
			require.NoError(t, db.Close())
			err := sqlite.Restore(t.Context(), backup, db.Path(), force)
			return openAt(t, db.Path(), false), err
		},
	})
}
