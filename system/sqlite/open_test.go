package sqlite_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/sqlite"
	"mimo/system/storetest"
)

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	_, err := sqlite.Open(ctx, sqlite.Options{})
	requireCode(t, err, mimo.EINVALID, "no path")

	dir := t.TempDir()
	text := filepath.Join(dir, "notes.db")
	require.NoError(t, os.WriteFile(text, []byte("plain text, long enough to be read as a database header and rejected"), 0o600))
	_, err = sqlite.Open(ctx, sqlite.Options{Path: text})
	requireCode(t, err, mimo.EINVALID, "not an SQLite file")

	_, err = sqlite.Open(ctx, sqlite.Options{Path: dir})
	requireCode(t, err, mimo.EUNAVAILABLE, "a directory")

	_, err = sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "no", "such", "dir", "x.db")})
	requireCode(t, err, mimo.EUNAVAILABLE, "a missing directory")
}

// A database file that cannot be written opens as unavailable (or, if the
// platform lets it open, its writes are), never a panic. Root writes
// through file modes, so the file is made immutable where that is possible.
func TestReadOnlyFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ro.db")
	s := openAt(t, path, true)
	m := storetest.NewMemory("ro", "written while writable")
	_, _, err := s.CreateMemory(ctx, m)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	require.NoError(t, os.Chmod(path, 0o444))
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		f.Close()
		if out, err := exec.CommandContext(ctx, "chattr", "+i", path).CombinedOutput(); err != nil {
			t.Skipf("cannot make a file read-only for this user: %v %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("chattr", "-i", path).Run() })
	}

	ro, err := sqlite.Open(ctx, sqlite.Options{Path: path})
	if err != nil {
		t.Logf("open: %v", err)
		requireCode(t, err, mimo.EUNAVAILABLE)
		return
	}
	defer ro.Close()
	got, err := ro.GetMemory(ctx, "ro", m.ID)
	if err != nil {
		requireCode(t, err, mimo.EUNAVAILABLE)
	} else {
		storetest.AssertSameMemory(t, m, got, true)
	}
	_, _, err = ro.CreateMemory(ctx, storetest.NewMemory("ro", "cannot be written"))
	requireCode(t, err, mimo.EUNAVAILABLE)
}

func TestPathIsAbsolute(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: "rel.db"})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, filepath.Join(dir, "rel.db"), s.Path())
	// Characters that mean something in a URI are only a file name.
	odd := filepath.Join(dir, "a ?b#c%d&e=f.db")
	o := openAt(t, odd, true)
	assert.Equal(t, odd, o.Path())
	_, err = os.Stat(odd)
	require.NoError(t, err)
}
