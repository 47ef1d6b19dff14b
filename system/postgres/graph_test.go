package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

// updated_at moves whenever an entity's observations change, and only
// then; created_at never moves. The store's methods do not show either,
// so the test reads the table.
func TestGraphTimestamps(t *testing.T) {
	ctx := context.Background()
	s, url := fresh(t)
	_, err := s.CreateEntities(ctx, "ns", []mimo.Entity{{Name: "A", EntityType: "t", Observations: []string{"one"}}})
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	stamps := func() (created, updated time.Time) {
		t.Helper()
		require.NoError(t, conn.QueryRow(ctx, `SELECT created_at, updated_at FROM entities WHERE namespace = 'ns' AND name = 'A'`).
			Scan(&created, &updated))
		return created, updated
	}
	created, updated := stamps()
	assert.True(t, created.Equal(updated))
	step := func(what string, changes bool, fn func() error) {
		t.Helper()
		time.Sleep(2 * time.Millisecond)
		require.NoError(t, fn(), what)
		c, u := stamps()
		assert.True(t, created.Equal(c), "%s: created_at never moves", what)
		if changes {
			assert.True(t, u.After(updated), "%s moves updated_at", what)
		} else {
			assert.True(t, u.Equal(updated), "%s leaves updated_at", what)
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
