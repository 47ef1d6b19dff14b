package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/sqlite"
)

// updated_at moves whenever an entity's observations change, and only
// then; created_at never moves. The store's methods do not show either,
// so the test reads the file.
func TestGraphTimestamps(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	_, err := s.CreateEntities(ctx, "ns", []mimo.Entity{{Name: "A", EntityType: "t", Observations: []string{"one"}}})
	require.NoError(t, err)
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	stamps := func() (created, updated int64) {
		t.Helper()
		require.NoError(t, db.QueryRowContext(ctx, `SELECT created_at, updated_at FROM entities WHERE namespace = 'ns' AND name = 'A'`).
			Scan(&created, &updated))
		return created, updated
	}
	created, updated := stamps()
	assert.Equal(t, created, updated)
	step := func(what string, changes bool, fn func() error) {
		t.Helper()
		time.Sleep(2 * time.Millisecond)
		require.NoError(t, fn(), what)
		c, u := stamps()
		assert.Equal(t, created, c, "%s: created_at never moves", what)
		if changes {
			assert.Greater(t, u, updated, "%s moves updated_at", what)
		} else {
			assert.Equal(t, updated, u, "%s leaves updated_at", what)
		}
		updated = u
	}
	step("adding nothing new", false, func() error {
		_, err := s.AddObservations(ctx, "ns", []mimo.ObservationAdd{{EntityName: "A", Contents: []string{"one"}}})
		return err
	})
	step("adding", true, func() error {
		_, err := s.AddObservations(ctx, "ns", []mimo.ObservationAdd{{EntityName: "A", Contents: []string{"two"}}})
		return err
	})
	step("deleting nothing", false, func() error {
		_, err := s.DeleteObservations(ctx, "ns", []mimo.ObservationDelete{{EntityName: "A", Observations: []string{"absent"}}})
		return err
	})
	step("deleting", true, func() error {
		_, err := s.DeleteObservations(ctx, "ns", []mimo.ObservationDelete{{EntityName: "A", Observations: []string{"one"}}})
		return err
	})
	step("creating it again", false, func() error {
		_, err := s.CreateEntities(ctx, "ns", []mimo.Entity{{Name: "A", EntityType: "other", Observations: []string{"x"}}})
		return err
	})
}

// SearchNodes answers from each process's cache of search text, and every
// change to an entity, made by that process or by another on the same
// file, is seen by the next search of either.
func TestSearchNodesSeesEveryWriteOfEveryProcess(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openAt(t, path, true)
	b := openAt(t, path, false)
	names := func(s *sqlite.Store, q string) []string {
		t.Helper()
		g, err := s.SearchNodes(ctx, "ns", q, 0)
		require.NoError(t, err)
		var out []string
		for _, e := range g.Entities {
			out = append(out, e.Name)
		}
		return out
	}
	_, err := a.CreateEntities(ctx, "ns", []mimo.Entity{{Name: "Ana", EntityType: "person", Observations: []string{"leads billing"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"Ana"}, names(a, "billing"))
	assert.Equal(t, []string{"Ana"}, names(b, "billing"), "both processes have it cached now")

	_, err = b.CreateEntities(ctx, "ns", []mimo.Entity{{Name: "Bo", EntityType: "person", Observations: []string{"audits billing"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"Ana", "Bo"}, names(a, "billing"), "a creation by the other process")

	_, err = b.AddObservations(ctx, "ns", []mimo.ObservationAdd{{EntityName: "Ana", Contents: []string{"speaks Portuguese"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"Ana"}, names(a, "portuguese"), "an added observation")

	_, err = b.DeleteObservations(ctx, "ns", []mimo.ObservationDelete{{EntityName: "Ana", Observations: []string{"leads billing"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"Bo"}, names(a, "billing"), "a deleted observation")

	_, err = a.DeleteEntities(ctx, "ns", []string{"Bo"})
	require.NoError(t, err)
	assert.Empty(t, names(b, "billing"), "a deleted entity")
	assert.Empty(t, names(a, "billing"))

	// Another namespace's writes leave this one's cache valid and apart.
	_, err = b.CreateEntities(ctx, "other", []mimo.Entity{{Name: "Cy", EntityType: "person", Observations: []string{"billing"}}})
	require.NoError(t, err)
	assert.Empty(t, names(a, "billing"))
}
