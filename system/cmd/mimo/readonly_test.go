package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unprivilegedUID is the user a child Mimo runs as when the tests run as
// root, which writes through any file mode: the user Mimo's image runs
// as.
const unprivilegedUID = 65532

// unprivilegedDataDir returns an empty data folder and the option that
// runs a child Mimo as a user the folder's modes bind: the tests' own
// user, or unprivilegedUID, owning the folder, when that is root.
func unprivilegedDataDir(t *testing.T) (dir string, as func(*exec.Cmd)) {
	t.Helper()
	dir = t.TempDir()
	if os.Geteuid() != 0 {
		return dir, func(*exec.Cmd) {}
	}
	// The user must reach the folder and the binary through their parents.
	for _, d := range []string{filepath.Dir(dir), filepath.Dir(mimoBinary(t))} {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	require.NoError(t, os.Chown(dir, unprivilegedUID, unprivilegedUID))
	return dir, func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: unprivilegedUID, Gid: unprivilegedUID}}
	}
}

// readOnly takes write permission away on the data folder and the
// database's files there, leaving the spool folder as it is, and returns
// the function that gives it back. A mode applies when a file is opened:
// Mimo must not be running.
func readOnly(t *testing.T, dir string) (restore func()) {
	t.Helper()
	was := map[string]fs.FileMode{}
	set := func(path string, mode fs.FileMode) {
		info, err := os.Stat(path)
		require.NoError(t, err)
		was[path] = info.Mode().Perm()
		require.NoError(t, os.Chmod(path, mode))
	}
	for _, f := range []string{dbFile, dbFile + "-wal", dbFile + "-shm"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			set(filepath.Join(dir, f), 0o444)
		}
	}
	set(dir, 0o555)
	restore = func() {
		for path, mode := range was {
			require.NoError(t, os.Chmod(path, mode))
		}
		clear(was)
	}
	t.Cleanup(restore) // so the folder can be removed whatever happens
	return restore
}

// A SQLite database that can be read but not written is a database outage
// Mimo serves through, not a reason to stop: here its folder and files are
// read-only after a crash (which leaves the -wal and -shm files SQLite
// needs to read it), the spool folder still writable. Memories are read
// from the database, writes are queued; started again with the folder
// writable, Mimo applies them before it listens.
func TestAReadOnlySQLiteDatabaseIsReadAndItsWritesQueued(t *testing.T) {
	dir, as := unprivilegedDataDir(t)
	env := map[string]string{"MIMO_DATA_DIR": dir, "MIMO_LLM": "none"}
	c := startChild(t, env, as)
	stored := map[string]string{}
	for _, content := range []string{"The tape library is in room B", "Backups rotate every Sunday", "The archive key is in the safe"} {
		stored[store(t, c.URL, "archive", content, nil)] = content
	}
	c.kill(t)

	restore := readOnly(t, dir)
	c = startChild(t, env, as)
	for id, content := range stored {
		code, raw := callRaw(t, "GET", c.URL+"/api/memories/"+id+"?namespace=archive", nil, nil)
		require.Equal(t, 200, code, "read from the read-only database: %s", raw)
		assert.Contains(t, string(raw), content)
	}
	code, out := call(t, "POST", c.URL+"/api/memories", map[string]any{"namespace": "archive", "content": "Written while the folder was read-only"})
	require.Equal(t, 202, code, "the write is queued: %v", out)
	assert.Equal(t, "queued", out["status"])
	queued := out["memory"].(map[string]any)["id"].(string)
	_, health := call(t, "GET", c.URL+"/health", nil)
	assert.EqualValues(t, 1, health["spool"].(map[string]any)["pending"], "%v", health)
	c.kill(t)

	restore()
	c = startChild(t, env, as)
	_, health = call(t, "GET", c.URL+"/health", nil)
	assert.EqualValues(t, 0, health["spool"].(map[string]any)["pending"], "the spool was applied at start: %v", health)
	code, out = call(t, "GET", c.URL+"/api/memories/"+queued+"?namespace=archive", nil)
	require.Equal(t, 200, code, "%v", out)
	assert.Equal(t, "Written while the folder was read-only", out["content"])
	code, out = call(t, "GET", c.URL+"/api/memories?namespace=archive", nil)
	require.Equal(t, 200, code)
	assert.Len(t, out["memories"], len(stored)+1, "each memory once")
}

// A clean shutdown folds the -wal file into the database and removes it
// and the -shm file; in a read-only folder SQLite cannot make them again,
// so it can neither read nor write the database. Mimo then does not start
// and says why, in one line; with the folder writable again it starts
// with every memory.
func TestACleanlyClosedSQLiteDatabaseInAReadOnlyFolderStopsStartUp(t *testing.T) {
	dir, as := unprivilegedDataDir(t)
	env := map[string]string{"MIMO_DATA_DIR": dir, "MIMO_LLM": "none"}
	c := startChild(t, env, as)
	id := store(t, c.URL, "archive", "The tape library is in room B", nil)
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, c.cmd.Wait())
	require.NoFileExists(t, filepath.Join(dir, dbFile+"-shm"), "a clean shutdown removes the -shm file")

	restore := readOnly(t, dir)
	cmd := childCmd(t, env, as)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "mimo serve fails: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("mimo serve started on a database it can neither read nor write:\n%s", stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	t.Log(msg)
	assert.NotContains(t, msg, "\n", "one line")
	assert.Contains(t, msg, "folder is read-only")
	assert.Contains(t, msg, "make the folder writable")

	restore()
	c = startChild(t, env, as)
	code, out := call(t, "GET", c.URL+"/api/memories/"+id+"?namespace=archive", nil)
	require.Equal(t, 200, code, "%v", out)
}
