package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

// MigratingStore is a store with its migrations: what RunMigrator tests.
type MigratingStore interface {
	mimo.Store
	mimo.GraphStore
	mimo.Migrator
}

// MigratorDatabase is a new, empty database that no migration has
// touched, for RunMigrator.
type MigratorDatabase struct {
	// Open opens a store on the database: each call a new store, as a
	// process of its own would open; it registers its own cleanup.
	Open func(t *testing.T) MigratingStore
	// Stamp records version as applied in the database's migration
	// table, as a newer build of Mimo (one with migrations this build
	// lacks) would have, and leaves the schema alone.
	Stamp func(t *testing.T, version int64)
}

// RunMigrator runs the contract of mimo.Migrator as sub-tests of t.
// newDatabase makes a new, empty database (see MigratorDatabase).
//
// Beyond the Migrator doc comment, the suite pins down:
//
//   - An unmigrated store lists every migration, not applied, and its
//     data methods fail. (Which code is the store's: SQLite says
//     EUNAVAILABLE, since another process may be migrating the file right
//     now; Postgres says EINTERNAL, since its replicas migrate before they
//     serve.)
//   - Versions are ascending from 1, named by their file without its
//     extension; MigrateUp applies them all in order
//     and a second MigrateUp applies none. MigrateDown(n) rolls back the
//     newest n, newest first; n < 1 is EINVALID; past version 0 it stops.
//   - Down to zero and up again gives a working, empty store.
//   - Every migration but the first keeps the memories: rolled back and
//     re-applied, a memory is still there, whole (its access count and
//     time too, whether created with them or counted by TouchMemories)
//     and searchable. The graph
//     goes with its tables.
//   - Stores migrating one new database at once each succeed, and each
//     migration runs once.
//   - A database that a newer build migrated past this build's newest
//     migration is refused by MigrateUp and MigrateDown with ECONFLICT, in
//     one line naming both versions and docs/ROLLBACK_PROCEDURE.md, and
//     left as it was; status and SchemaVersion still read it.
func RunMigrator(t *testing.T, newDatabase func(t *testing.T) MigratorDatabase) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) MigratingStore)
	}{
		{"Migrate/UpStatusDownToZeroUp", testMigrateRoundTrip},
		{"Migrate/MemoriesSurviveDownAndUp", testMigrateKeepsMemories},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newDatabase(t).Open) })
	}
	t.Run("Migrate/RefusesASchemaNewerThanItKnows", func(t *testing.T) {
		testMigrateRefusesNewer(t, newDatabase(t))
	})
	// A race shows only sometimes: three rounds, each on a new database.
	for round := range 3 {
		t.Run(fmt.Sprintf("Migrate/ConcurrentUpRunsEachOnce/%d", round), func(t *testing.T) {
			testMigrateConcurrently(t, newDatabase(t).Open)
		})
	}
}

// versions returns the versions st lists, and checks their order and names.
func versions(t *testing.T, st []mimo.MigrationState, applied bool) []int64 {
	t.Helper()
	var out []int64
	for i, m := range st {
		assert.Equal(t, int64(i+1), m.Version, "versions count up from 1")
		assert.NotEmpty(t, m.Name, "version %d has a name", m.Version)
		assert.NotContains(t, m.Name, ".", "version %d: the name is the file's, without extension", m.Version)
		assert.Equal(t, applied, m.Applied, "version %d applied", m.Version)
		assert.Equal(t, applied, !m.AppliedAt.IsZero(), "version %d AppliedAt %s", m.Version, m.AppliedAt)
		out = append(out, m.Version)
	}
	return out
}

func testMigrateRoundTrip(t *testing.T, open func(t *testing.T) MigratingStore) {
	ctx := t.Context()
	s := open(t)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Zero(t, v, "opening a store does not migrate it")
	st, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, st)
	all := versions(t, st, false)
	newest := all[len(all)-1]
	_, err = s.CountMemories(ctx, "*")
	require.Error(t, err, "an unmigrated store holds no memories table")

	applied, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, all, applied)
	applied, err = s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Empty(t, applied, "a second MigrateUp has nothing to do")
	v, err = s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, newest, v)
	st, err = s.MigrationStatus(ctx)
	require.NoError(t, err)
	versions(t, st, true)
	create(t, s, NewMemory("mig", "a memory that goes with the schema"))
	_, err = s.CreateEntities(ctx, "mig", []mimo.Entity{{Name: "A", EntityType: "t"}})
	require.NoError(t, err)

	_, err = s.MigrateDown(ctx, 0)
	requireCode(t, err, mimo.EINVALID, "MigrateDown(0)")
	// One step at a time, each step's status right.
	for want := newest; want >= 1; want-- {
		down, err := s.MigrateDown(ctx, 1)
		require.NoError(t, err)
		assert.Equal(t, []int64{want}, down)
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, want-1, v)
		st, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		for _, m := range st {
			assert.Equal(t, m.Version < want, m.Applied, "after rolling back %d, version %d applied", want, m.Version)
		}
	}
	_, err = s.CountMemories(ctx, "*")
	require.Error(t, err, "the memories are gone with their table")
	down, err := s.MigrateDown(ctx, 1)
	require.NoError(t, err)
	assert.Empty(t, down, "nothing is left to roll back")

	applied, err = s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, all, applied)
	n, err := s.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.Zero(t, n, "up after down to zero starts empty")
	g, err := s.ReadGraph(ctx, "mig", "", 0)
	require.NoError(t, err)
	assert.Empty(t, g.Entities, "and with an empty graph")
	create(t, s, NewMemory("mig", "a memory that goes with the schema"))

	// Rolling back more than is applied stops at zero.
	down, err = s.MigrateDown(ctx, len(all)+5)
	require.NoError(t, err)
	want := slices.Clone(all)
	slices.Reverse(want)
	assert.Equal(t, want, down, "newest first")
}

func testMigrateKeepsMemories(t *testing.T, open func(t *testing.T) MigratingStore) {
	ctx := t.Context()
	s := open(t)
	all, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	m := NewMemory("mig", "the migration keeps this walrus")
	m.Tags = []string{"b", "a"}
	m.Metadata = []byte(`{"k":[1,"two"]}`)
	last := at(time.Hour + 7*time.Microsecond)
	m.LastAccessedAt, m.AccessCount = &last, 3
	m = create(t, s, m)
	// One memory accessed through TouchMemories, one never accessed: the
	// access counts survive the round trip whichever way they were kept.
	touched := create(t, s, NewMemory("mig", "touched before the round trip"))
	untouched := create(t, s, NewMemory("mig", "never touched"))
	t1, t2 := at(2*time.Hour+11*time.Microsecond), at(3*time.Hour+13*time.Microsecond)
	require.NoError(t, s.TouchMemories(ctx, "mig", []string{touched.ID, m.ID}, t1))
	require.NoError(t, s.TouchMemories(ctx, "mig", []string{touched.ID}, t2))
	m.AccessCount, m.LastAccessedAt = 4, &t1
	touched.AccessCount, touched.LastAccessedAt = 2, &t2
	_, err = s.CreateEntities(ctx, "mig", []mimo.Entity{{Name: "walrus", EntityType: "animal", Observations: []string{}}})
	require.NoError(t, err)

	down, err := s.MigrateDown(ctx, len(all)-1)
	require.NoError(t, err)
	require.Len(t, down, len(all)-1)
	_, err = s.ReadGraph(ctx, "mig", "", 0)
	require.Error(t, err, "the graph is gone with its tables")
	applied, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, all[1:], applied)

	for _, want := range []*mimo.Memory{m, touched, untouched} {
		got, err := s.GetMemory(ctx, "mig", want.ID)
		require.NoError(t, err)
		AssertSameMemory(t, want, got, true)
	}
	// And they go on counting.
	require.NoError(t, s.TouchMemories(ctx, "mig", []string{m.ID, untouched.ID}, t2))
	m.AccessCount, m.LastAccessedAt = 5, &t2
	untouched.AccessCount, untouched.LastAccessedAt = 1, &t2
	for _, want := range []*mimo.Memory{m, untouched} {
		got, err := s.GetMemory(ctx, "mig", want.ID)
		require.NoError(t, err)
		AssertSameMemory(t, want, got, true)
	}
	hits, err := s.TextSearch(ctx, "walrus", mimo.Filter{Namespace: "mig"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, hitIDs(hits), "the full-text index is rebuilt")
	g, err := s.ReadGraph(ctx, "mig", "", 0)
	require.NoError(t, err)
	assert.Empty(t, g.Entities, "up after down starts with an empty graph")
	_, created, err := s.CreateMemory(ctx, NewMemory("mig", "works after the round trip"))
	require.NoError(t, err)
	assert.True(t, created)
}

func testMigrateConcurrently(t *testing.T, open func(t *testing.T) MigratingStore) {
	const n = 4
	stores := make([]MigratingStore, n)
	for i := range stores {
		stores[i] = open(t)
	}
	st, err := stores[0].MigrationStatus(t.Context())
	require.NoError(t, err)
	all := versions(t, st, false)
	applied := make([][]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { applied[i], errs[i] = s.MigrateUp(t.Context()) })
	}
	wg.Wait()
	var got []int64
	for i := range stores {
		require.NoError(t, errs[i], "store %d", i)
		got = append(got, applied[i]...)
	}
	assert.ElementsMatch(t, all, got, "each migration applied once in all")
	for i, s := range stores {
		v, err := s.SchemaVersion(t.Context())
		require.NoError(t, err)
		assert.Equal(t, all[len(all)-1], v, "store %d", i)
		st, err := s.MigrationStatus(t.Context())
		require.NoError(t, err)
		versions(t, st, true)
	}
	create(t, stores[n-1], NewMemory("mig", fmt.Sprintf("stored after %d stores migrated", n)))

	// A version recorded twice would still be applied after rolling back
	// every version once.
	down, err := stores[0].MigrateDown(t.Context(), len(all))
	require.NoError(t, err)
	assert.Len(t, down, len(all))
	v, err := stores[0].SchemaVersion(t.Context())
	require.NoError(t, err)
	assert.Zero(t, v, "no version is recorded twice")
}

func testMigrateRefusesNewer(t *testing.T, db MigratorDatabase) {
	ctx := t.Context()
	s := db.Open(t)
	all, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	newest := all[len(all)-1]
	create(t, s, NewMemory("mig", "written before a newer build migrated the database"))
	db.Stamp(t, newest+2)

	// This store, and a new one as a process started now would open.
	for i, st := range []MigratingStore{s, db.Open(t)} {
		applied, err := st.MigrateUp(ctx)
		requireCode(t, err, mimo.ECONFLICT, "store %d: MigrateUp on a newer schema", i)
		assert.Empty(t, applied, "store %d applied nothing", i)
		msg := mimo.ErrorMessage(err)
		assert.NotContains(t, msg, "\n", "one line")
		for _, want := range []string{fmt.Sprint(newest + 2), fmt.Sprint(newest), "migrate down 2", "docs/ROLLBACK_PROCEDURE.md"} {
			assert.Contains(t, msg, want, "store %d: the refusal names %s", i, want)
		}
		down, err := st.MigrateDown(ctx, 1)
		requireCode(t, err, mimo.ECONFLICT, "store %d: MigrateDown cannot undo migrations it does not have", i)
		assert.Empty(t, down)
		v, err := st.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, newest+2, v, "store %d: SchemaVersion reads the newer version", i)
		states, err := st.MigrationStatus(ctx)
		require.NoError(t, err)
		versions(t, states, true)
	}
	n, err := s.CountMemories(ctx, "mig")
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the refusals left the data alone")
}
