package sqlite_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
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
		return s.DeleteObservations(ctx, "ns", []mimo.ObservationDelete{{EntityName: "A", Observations: []string{"absent"}}})
	})
	step("deleting", true, func() error {
		return s.DeleteObservations(ctx, "ns", []mimo.ObservationDelete{{EntityName: "A", Observations: []string{"one"}}})
	})
	step("creating it again", false, func() error {
		_, err := s.CreateEntities(ctx, "ns", []mimo.Entity{{Name: "A", EntityType: "other", Observations: []string{"x"}}})
		return err
	})
}
