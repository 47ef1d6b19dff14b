package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres/pgtest"
	"mimo/system/storetest"
)

// allVersions are the embedded migrations, oldest first.
var allVersions = []int64{1, 2, 3}

func TestMigrateUpDownUp(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.URL(t))

	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Zero(t, v, "a fresh database has no schema")
	st, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	require.Len(t, st, len(allVersions))
	for i, m := range st {
		assert.Equal(t, allVersions[i], m.Version)
		assert.False(t, m.Applied)
		assert.True(t, m.AppliedAt.IsZero())
	}
	assert.Equal(t, "00001_memories", st[0].Name)

	applied, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, allVersions, applied)
	again, err := s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Empty(t, again, "nothing is pending")
	v, err = s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, allVersions[len(allVersions)-1], v)
	st, err = s.MigrationStatus(ctx)
	require.NoError(t, err)
	for _, m := range st {
		assert.True(t, m.Applied, "version %d", m.Version)
		assert.False(t, m.AppliedAt.IsZero())
	}

	// The schema works, and taking it down really removes it.
	m := storetest.NewMemory("migrate", "a memory that the down step drops")
	_, _, err = s.CreateMemory(ctx, m)
	require.NoError(t, err)
	_, err = s.CreateEntities(ctx, "migrate", []mimo.Entity{{Name: "A", EntityType: "t"}, {Name: "B", EntityType: "t"}})
	require.NoError(t, err)
	_, err = s.CreateRelations(ctx, "migrate", []mimo.Relation{{From: "A", To: "B", RelationType: "r"}})
	require.NoError(t, err)

	_, err = s.MigrateDown(ctx, 0)
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err))
	down, err := s.MigrateDown(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, []int64{3}, down)
	_, err = s.ReadGraph(ctx, "migrate", "", 0)
	assert.Error(t, err, "the graph is gone")
	n, err := s.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the graph's down step leaves memories alone")
	down, err = s.MigrateDown(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, []int64{2}, down)
	_, err = s.LastChange(ctx)
	assert.Error(t, err, "the change log is gone")
	down, err = s.MigrateDown(ctx, 10)
	require.NoError(t, err)
	assert.Equal(t, []int64{1}, down, "only what is applied is rolled back")
	v, err = s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Zero(t, v)
	_, err = s.CountMemories(ctx, "*")
	assert.Error(t, err, "the memories table is gone")
	down, err = s.MigrateDown(ctx, 1)
	require.NoError(t, err)
	assert.Empty(t, down)

	applied, err = s.MigrateUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, allVersions, applied)
	n, err = s.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.Zero(t, n, "up after down starts empty")
	g, err := s.ReadGraph(ctx, "migrate", "", 0)
	require.NoError(t, err)
	assert.Empty(t, g.Entities, "and with an empty graph")
	_, created, err := s.CreateMemory(ctx, m)
	require.NoError(t, err)
	assert.True(t, created)
}

// Replicas starting together migrate once: every version is applied by
// exactly one of them, and none fails.
func TestMigrateConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	const replicas = 4
	results := make([][]int64, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		s := open(t, url)
		wg.Go(func() { results[i], errs[i] = s.MigrateUp(context.Background()) })
	}
	wg.Wait()
	var all []int64
	for i := range replicas {
		require.NoError(t, errs[i], "replica %d", i)
		all = append(all, results[i]...)
	}
	assert.ElementsMatch(t, allVersions, all, "each migration ran once")
	v, err := open(t, url).SchemaVersion(context.Background())
	require.NoError(t, err)
	assert.Equal(t, allVersions[len(allVersions)-1], v)
}
