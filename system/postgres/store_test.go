package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres"
	"mimo/system/postgres/pgtest"
	"mimo/system/storetest"
)

// open opens a store on url and closes it when the test ends.
func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Options{URL: url, MaxConns: 8})
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

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mimo.Store {
		s, _ := fresh(t)
		return s
	})
}
