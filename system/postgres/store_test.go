package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres"
	"mimo/system/postgres/pgtest"
	"mimo/system/storetest"
)

// open opens a store on url and closes it when the test ends.
func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	return openWith(t, postgres.Options{URL: url, MaxConns: 8})
}

func openWith(t testing.TB, o postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fresh returns a migrated store on a new, empty database.
func fresh(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	url := pgtest.URL(t)
	s := open(t, url)
	_, err := s.MigrateUp(context.Background())
	require.NoError(t, err)
	return s, url
}

// TestContract runs the store contract suite. Each case gets a new Store
// (its own pool) on a database emptied to its freshly migrated state:
// memories and change log truncated, sequence restarted. That is the state
// a new database is in after MigrateUp, and creating a database per case
// would make this suite take most of a minute; the tests of this package
// that exercise a really new database (migrations, restore) create one.
func TestContract(t *testing.T) {
	url := pgtest.URL(t)
	_, err := open(t, url).MigrateUp(context.Background())
	require.NoError(t, err)
	storetest.Run(t, func(t *testing.T) mimo.Store {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, "TRUNCATE memories, memory_access, changes RESTART IDENTITY")
		require.NoError(t, err)
		require.NoError(t, conn.Close(ctx))
		return open(t, url)
	})
}

// TestGraphContract runs the knowledge-graph contract suite, each case on
// a new Store over a database whose graph is emptied first, as TestContract
// does for memories.
func TestGraphContract(t *testing.T) {
	url := pgtest.URL(t)
	_, err := open(t, url).MigrateUp(context.Background())
	require.NoError(t, err)
	storetest.RunGraph(t, func(t *testing.T) mimo.GraphStore {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, "TRUNCATE entities, relations")
		require.NoError(t, err)
		require.NoError(t, conn.Close(ctx))
		return open(t, url)
	})
}

// TestMigratorContract runs the migration contract, each case on a new
// database.
func TestMigratorContract(t *testing.T) {
	storetest.RunMigrator(t, func(t *testing.T) storetest.MigratorDatabase {
		url := pgtest.URL(t)
		return storetest.MigratorDatabase{
			Open: func(t *testing.T) storetest.MigratingStore { return open(t, url) },
			Stamp: func(t *testing.T, version int64) {
				conn, err := pgx.Connect(t.Context(), url)
				require.NoError(t, err)
				defer conn.Close(context.Background())
				_, err = conn.Exec(t.Context(), "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)", version)
				require.NoError(t, err)
			},
		}
	})
}

// TestBackuperContract runs the backup contract, each store on a new
// database; Postgres restores into a live store.
func TestBackuperContract(t *testing.T) {
	storetest.RunBackuper(t, storetest.Backups{
		Open: func(t *testing.T) storetest.BackupStore {
			s, _ := fresh(t)
			return s
		},
		Restore: func(t *testing.T, s storetest.BackupStore, backup string, force bool) (storetest.BackupStore, error) {
			return s, s.(*postgres.Store).Restore(t.Context(), backup, force)
		},
	})
}
