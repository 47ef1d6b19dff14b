package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/sqlite"
	"mimo/system/storetest"
)

// A database left by a killed process has committed pages only in its WAL.
// A forced restore must not replay that stale WAL into the restored file.
func TestRestoreDiscardsStaleWAL(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src := openAt(t, filepath.Join(dir, "src.db"), true)
	want := storetest.NewMemory("ns", "the restored truth")
	_, _, err := src.CreateMemory(ctx, want)
	require.NoError(t, err)
	backup := filepath.Join(dir, "b.db")
	require.NoError(t, src.Backup(ctx, backup))

	// Copy a live database and its WAL while it is open, as a crash leaves them.
	live := openAt(t, filepath.Join(dir, "live.db"), true)
	stale := storetest.NewMemory("ns", "only in the stale WAL")
	_, _, err = live.CreateMemory(ctx, stale)
	require.NoError(t, err)
	crashed := filepath.Join(dir, "crashed.db")
	copyLive := func() {
		t.Helper()
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(live.Path() + suffix)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(crashed+suffix, b, 0o600))
		}
	}
	copyLive()
	check := openAt(t, crashed, false)
	_, err = check.GetMemory(ctx, "ns", stale.ID)
	require.NoError(t, err, "the crashed copy holds the memory in its WAL")
	require.NoError(t, check.Close())
	copyLive()

	requireCode(t, sqlite.Restore(ctx, backup, crashed, false), mimo.ECONFLICT, "memories in the WAL count")
	// Checking the target above checkpointed its WAL; leave a stale one again.
	copyLive()
	require.NoError(t, sqlite.Restore(ctx, backup, crashed, true))
	for _, suffix := range []string{"-wal", "-journal"} {
		_, err = os.Stat(crashed + suffix)
		require.ErrorIs(t, err, os.ErrNotExist, "no stale %s is left", suffix)
	}
	r := openAt(t, crashed, false)
	got, err := r.GetMemory(ctx, "ns", want.ID)
	require.NoError(t, err)
	storetest.AssertSameMemory(t, want, got, true)
	_, err = r.GetMemory(ctx, "ns", stale.ID)
	requireCode(t, err, mimo.ENOTFOUND)
	n, err := r.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

func TestRestoreRejectsBadBackups(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.db")

	requireCode(t, sqlite.Restore(ctx, filepath.Join(dir, "missing.db"), target, false), mimo.ENOTFOUND)

	text := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("these are not the pages of a database, just a long enough text file to look like one"), 0o600))
	requireCode(t, sqlite.Restore(ctx, text, target, false), mimo.EINVALID)

	// A database, but not Mimo's.
	foreign := openAt(t, filepath.Join(dir, "foreign.db"), false)
	require.NoError(t, foreign.Close())
	requireCode(t, sqlite.Restore(ctx, foreign.Path(), target, false), mimo.EINVALID)

	requireCode(t, sqlite.Restore(ctx, "", target, false), mimo.EINVALID)
	_, err := os.Stat(target)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing was written")

	// A target that is not a database is not replaced without force.
	good := openAt(t, filepath.Join(dir, "good.db"), true)
	backup := filepath.Join(dir, "good.bak")
	require.NoError(t, good.Backup(ctx, backup))
	requireCode(t, sqlite.Restore(ctx, backup, text, false), mimo.ECONFLICT)
	require.NoError(t, sqlite.Restore(ctx, backup, text, true))
}

func TestBackupCancelled(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dest := filepath.Join(t.TempDir(), "never.db")
	require.Error(t, s.Backup(ctx, dest))
	_, err := os.Stat(dest)
	assert.ErrorIs(t, err, os.ErrNotExist)
	entries, err := os.ReadDir(filepath.Dir(dest))
	require.NoError(t, err)
	assert.Empty(t, entries, "no temporary file is left behind")
	requireCode(t, s.Backup(t.Context(), ""), mimo.EINVALID)
}
