package durability

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/latency"
	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	mimo "mimo/system"
)

// The SQLite database's files in Mimo's data folder.
var sqliteFiles = []string{"mimo.db", "mimo.db-wal", "mimo.db-shm"}

func TestOnAReadOnlySQLiteDataFolderMimoServesQueuesAndReplaysAtStartExactlyOnce(t *testing.T) {
	rec := record.New(t, "Mimo on SQLite, crashed (SIGKILL) and started again with its data folder and database files read-only (the spool folder alone writable), serves: memories stored before are read from the database, writes are acknowledged 202 queued in the spool; killed again with the spool non-empty and started with the folder writable again, it replays the spool at start-up: every queued write stored once under the id it was announced with, and the memories stored before are all there")
	dir := t.TempDir()
	require.NoError(t, os.Chown(dir, mimoserver.UID, mimoserver.UID), "the data folder belongs to Mimo's user")
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{
		mimoserver.WithSQLite(dir), mimoserver.WithBreaker(3, spoolReset),
	}})
	m := env.Mimo()
	ctx := context.Background()
	const before, ns = "durability-sqlite-before", "durability-sqlite-ro"

	stored := map[string]string{}
	for i := range 20 {
		content := fmt.Sprintf("Stored entry %d about the archive shelves, before the folder turned read-only.", i)
		res, err := env.Client().Store(ctx, mimo.StoreRequest{Namespace: before, Content: content})
		require.NoError(t, err)
		require.True(t, res.Created && !res.Queued, "%q is stored in the database", content)
		stored[content] = res.Memory.ID
	}

	// A crash leaves the database's write-ahead log and its index beside
	// it: SQLite can then read the database with the folder read-only.
	env.Kill(harness.Mimo)
	for _, f := range sqliteFiles {
		require.FileExists(t, filepath.Join(dir, f), "the crash left %s", f)
	}
	restore := readOnly(t, dir)
	rec.Evidence("note", "read-only for Mimo's user: "+modes(t, dir))

	began := time.Now()
	env.StartContainer(harness.Mimo)
	rec.Measure("ready_read_only", latency.MS(time.Since(began)), "ms")

	// A new process: its read cache is empty, so every memory it returns
	// comes from the database.
	for content, id := range stored {
		r, err := m.Client().Do(ctx, http.MethodGet, mimoclient.MemoryPath(before, id), nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.Status, "%s is read from the read-only database: %s", id, r.Body)
		assert.Empty(t, r.Header.Get("X-Mimo-Degraded"), "%s is not answered from the read cache", id)
		var got mimo.Memory
		require.NoError(t, r.Decode(&got))
		assert.Equal(t, content, got.Content)
	}
	met, err := m.Client().Metrics(ctx)
	require.NoError(t, err)
	read, _ := met.Sum("mimo_fallback_triggered_total", map[string]string{"service": "db", "reason": "read_cache"})
	assert.Zero(t, read, "no read was served from the read cache")

	acked := queueWrites(t, env.Client(), ns, "the read-only archive", 200)
	harness.WaitFor(t, spoolWithin, "every write queued in the spool", m.SpoolPending(func(v float64) bool { return v == float64(len(acked)) }))
	rec.Measure("spool_pending_at_kill", float64(len(acked)), "count")

	env.Kill(harness.Mimo)
	restore()
	restarted := time.Now()
	env.StartContainer(harness.Mimo)
	rec.Measure("ready_after_restart", latency.MS(time.Since(restarted)), "ms")
	harness.WaitFor(t, spoolWithin, "the spool replayed", m.SpoolPending(func(v float64) bool { return v == 0 }))
	rec.Measure("replayed_after_restart", latency.MS(time.Since(restarted)), "ms")
	checkExactlyOnce(t, rec, env.Client(), ns, acked)

	kept := map[string]string{}
	for got, err := range env.Client().ListAll(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: before}, Limit: pageSize}) {
		require.NoError(t, err)
		kept[got.Content] = got.ID
	}
	assert.Equal(t, stored, kept, "the memories stored before the folder turned read-only are all there, once")
	rec.Measure("stored_before_kept", float64(len(kept)), "count")
}

// readOnly takes write permission away from Mimo's user on the data
// folder and the database's files, leaving the spool folder as it is, and
// returns the function that gives it back. Mimo must not be running: a
// mode applies when a file is opened, not to files already open.
func readOnly(t *testing.T, dir string) (restore func()) {
	t.Helper()
	was := map[string]fs.FileMode{}
	set := func(path string, mode fs.FileMode) {
		info, err := os.Stat(path)
		require.NoError(t, err)
		was[path] = info.Mode().Perm()
		require.NoError(t, os.Chmod(path, mode))
	}
	for _, f := range sqliteFiles {
		set(filepath.Join(dir, f), 0o444)
	}
	set(dir, 0o555)
	restored := false
	restore = func() {
		if restored {
			return
		}
		restored = true
		for path, mode := range was {
			require.NoError(t, os.Chmod(path, mode))
		}
	}
	// A test that fails half way still leaves a folder it can remove.
	t.Cleanup(restore)
	return restore
}

// modes lists the data folder's entries and their modes, for the record.
func modes(t *testing.T, dir string) string {
	t.Helper()
	info, err := os.Stat(dir)
	require.NoError(t, err)
	out := []string{"data folder " + info.Mode().String()}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		i, err := e.Info()
		require.NoError(t, err)
		out = append(out, e.Name()+" "+i.Mode().String())
	}
	return strings.Join(out, ", ")
}
