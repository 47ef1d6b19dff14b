package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/storetest"
)

// Word splitting itself is mimo.SearchWords's, tested with it.
func TestMatchExpr(t *testing.T) {
	assert.Equal(t, `"x" OR "y"`, matchExpr("x; y"))
	assert.Equal(t, `"deploy" OR "key"`, matchExpr("What is the deploy key?"), "stop words are left out")
	assert.Equal(t, `"the" OR "who"`, matchExpr("The Who"), "unless they are all there is")
	assert.Equal(t, `"drop" OR "table" OR "memories"`, matchExpr(`'; DROP TABLE memories; --`))
	assert.Equal(t, `"prod" OR "db" OR "production" OR "database"`, matchExpr("prod db"), "abbreviations with their full form")
	assert.Equal(t, "", matchExpr("*** ---"))
}

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), Options{Path: filepath.Join(t.TempDir(), "x.db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, err = s.MigrateUp(t.Context())
	require.NoError(t, err)
	return s
}

// A full disk is EUNAVAILABLE, and the store works again once there is room.
func TestDiskFullIsUnavailable(t *testing.T) {
	ctx := t.Context()
	s := openTestStore(t)
	var pages int64
	require.NoError(t, s.writer.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages))
	// The writer pool has one connection, so the limit applies to every write.
	_, err := s.writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+2))
	require.NoError(t, err)

	var full error
	for i := range 200 {
		m := storetest.NewMemory("full", fmt.Sprintf("%d %s", i, strings.Repeat("filler text ", 500)))
		if _, _, err := s.CreateMemory(ctx, m); err != nil {
			full = err
			break
		}
	}
	require.Error(t, full, "the page limit must be reached")
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(full), "%v", full)
	assert.Contains(t, mimo.ErrorMessage(full), "disk is full")

	_, err = s.writer.ExecContext(ctx, `PRAGMA max_page_count = 1073741823`)
	require.NoError(t, err)
	_, _, err = s.CreateMemory(ctx, storetest.NewMemory("full", "room again"))
	require.NoError(t, err)
}

// Writes through a read-only connection and lock timeouts map to
// EUNAVAILABLE.
func TestErrorMapping(t *testing.T) {
	ctx := t.Context()
	s := openTestStore(t)

	ro, err := sql.Open("sqlite", fileURI(s.path, s.busy, readerParams)+"&mode=ro")
	require.NoError(t, err)
	defer ro.Close()
	_, err = ro.ExecContext(ctx, `INSERT INTO changes (op, memory_id, namespace) VALUES ('upsert', 'x', 'y')`)
	require.Error(t, err)
	mapped := dbErr(ctx, err, "write")
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(mapped), "%v", mapped)
	assert.Contains(t, mimo.ErrorMessage(mapped), "read-only")

	// Another connection holds the write lock past a short busy timeout.
	blocker, err := sql.Open("sqlite", fileURI(s.path, s.busy, plainParams))
	require.NoError(t, err)
	defer blocker.Close()
	tx, err := blocker.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(ctx, `INSERT INTO changes (op, memory_id, namespace) VALUES ('upsert', 'x', 'y')`)
	require.NoError(t, err)
	impatient, err := Open(ctx, Options{Path: s.path, BusyTimeout: 1})
	require.NoError(t, err)
	defer impatient.Close()
	_, _, err = impatient.CreateMemory(ctx, storetest.NewMemory("busy", "waits for the lock"))
	requireCode(t, err, mimo.EUNAVAILABLE)
	assert.Contains(t, mimo.ErrorMessage(err), "busy")
	require.NoError(t, tx.Rollback())
	_, _, err = impatient.CreateMemory(ctx, storetest.NewMemory("busy", "waits for the lock"))
	require.NoError(t, err)

	// Context errors keep their identity under the code.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.GetMemory(cctx, "x", "y")
	requireCode(t, err, mimo.EUNAVAILABLE)
	assert.True(t, errors.Is(err, context.Canceled))

	// A closed store is unavailable, not a panic.
	closed, err := Open(ctx, Options{Path: s.path})
	require.NoError(t, err)
	require.NoError(t, closed.Close())
	_, err = closed.CountMemories(ctx, "*")
	requireCode(t, err, mimo.EUNAVAILABLE)
	_, _, err = closed.CreateMemory(ctx, storetest.NewMemory("x", "closed"))
	requireCode(t, err, mimo.EUNAVAILABLE)
}

func requireCode(t testing.TB, err error, code string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, mimo.ErrorCode(err), "error %v", err)
}
