package postgres_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres"
	"mimo/system/storetest"
)

// The contract (storetest.RunBackuper) covers consistency and restore;
// this pins Postgres's own: the snapshot is a JSON-lines file whose header
// counts its memories and names the schema, each line holds a memory
// whole, and a restore is in the change log, so other replicas' indexes
// follow it.
func TestSnapshotFileAndRestoreInChangeLog(t *testing.T) {
	ctx := context.Background()
	src, _ := fresh(t)
	first := storetest.NewMemory("backup", "present before the backup started")
	first.Tags = []string{"b", "a"}
	first.Metadata = json.RawMessage(`{"k":[1,2,{"x":null}]}`)
	last := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	first.LastAccessedAt, first.AccessCount = &last, 3
	_, _, err := src.CreateMemory(ctx, first)
	require.NoError(t, err)
	for i := range 4 {
		_, _, err := src.CreateMemory(ctx, storetest.NewMemory("other", fmt.Sprintf("memory %d", i)))
		require.NoError(t, err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.jsonl")
	require.NoError(t, src.Backup(ctx, path))
	version, err := src.SchemaVersion(ctx)
	require.NoError(t, err)

	snap := readSnapshot(t, path, version)
	require.Len(t, snap, 5)
	storetest.AssertSameMemory(t, first, snap[first.ID], true)

	dst, _ := fresh(t)
	require.NoError(t, dst.Restore(ctx, path, false))
	cs, err := dst.Changes(ctx, 0, postgres.MaxChangesLimit)
	require.NoError(t, err)
	assert.Len(t, cs, len(snap))
	for _, c := range cs {
		assert.Equal(t, mimo.OpUpsert, c.Op)
		assert.NotNil(t, c.Memory)
	}
	hits, err := dst.TextSearch(ctx, "present backup", mimo.Filter{Namespace: "backup"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{first.ID}, hitIDs(hits))
}

// readSnapshot decodes a backup file into memories by ID, checking its
// header against the schema version of the store it came from.
func readSnapshot(t *testing.T, path string, schemaVersion int64) map[string]*mimo.Memory {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	require.True(t, sc.Scan(), "a header line")
	var h struct {
		Format        string    `json:"format"`
		SchemaVersion int64     `json:"schema_version"`
		CreatedAt     time.Time `json:"created_at"`
		Memories      int       `json:"memories"`
	}
	require.NoError(t, json.Unmarshal(sc.Bytes(), &h))
	assert.Equal(t, "mimo-postgres-backup", h.Format)
	assert.Equal(t, schemaVersion, h.SchemaVersion)
	assert.False(t, h.CreatedAt.IsZero())
	out := map[string]*mimo.Memory{}
	for sc.Scan() {
		var kind struct {
			Kind string `json:"kind"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &kind))
		if kind.Kind != "" {
			continue // a graph line (backup_graph_test.go reads those)
		}
		var r struct {
			mimo.Memory
			ContentHash string `json:"content_hash"`
			Embedding   []byte `json:"embedding"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		m := r.Memory
		m.ContentHash = r.ContentHash
		if len(r.Embedding) > 0 {
			v, err := mimo.DecodeVector(r.Embedding)
			require.NoError(t, err)
			m.Embedding = mimo.Embedding{Vector: v, Model: m.EmbeddingModel, Dim: m.EmbeddingDim}
		}
		out[m.ID] = &m
	}
	require.NoError(t, sc.Err())
	assert.Len(t, out, h.Memories, "the header counts the memories")
	return out
}

// A forced restore over memories is in the change log: followers drop the
// old memories and add the restored ones.
func TestForcedRestoreInChangeLog(t *testing.T) {
	ctx := context.Background()
	src, _ := fresh(t)
	keep := storetest.NewMemory("r", "the memory in the backup")
	_, _, err := src.CreateMemory(ctx, keep)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "b.jsonl")
	require.NoError(t, src.Backup(ctx, path))

	dst, _ := fresh(t)
	other := storetest.NewMemory("r", "a memory only the target has")
	_, _, err = dst.CreateMemory(ctx, other)
	require.NoError(t, err)
	before, err := dst.LastChange(ctx)
	require.NoError(t, err)
	require.NoError(t, dst.Restore(ctx, path, true))
	cs, err := dst.Changes(ctx, before, 0)
	require.NoError(t, err)
	var keys []string
	for _, c := range cs {
		keys = append(keys, c.Op+" "+c.ID)
	}
	assert.Equal(t, []string{"delete " + other.ID, "upsert " + keep.ID}, keys, "followers drop the old and add the new")
}

func TestRestoreRejectsBadFilesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	src, _ := fresh(t)
	for i := range 3 {
		_, _, err := src.CreateMemory(ctx, storetest.NewMemory("bad", fmt.Sprintf("memory %d", i)))
		require.NoError(t, err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	require.NoError(t, src.Backup(ctx, good))
	raw, err := os.ReadFile(good)
	require.NoError(t, err)
	lines := strings.SplitAfter(strings.TrimSuffix(string(raw), "\n"), "\n")
	require.Len(t, lines, 4)

	dst, _ := fresh(t)
	bystander := storetest.NewMemory("bad", "must survive every failed restore")
	_, _, err = dst.CreateMemory(ctx, bystander)
	require.NoError(t, err)

	cases := map[string]string{
		"empty":          "",
		"not json":       "hello\n",
		"wrong format":   strings.Replace(lines[0], "mimo-postgres-backup", "something-else", 1) + lines[1],
		"truncated":      lines[0] + lines[1] + lines[2],
		"extra record":   strings.Join(lines, "") + "\n" + lines[1],
		"bad hash":       lines[0] + strings.Replace(lines[1], `"content":"memory`, `"content":"tampered`, 1) + lines[2] + lines[3],
		"bad line":       lines[0] + lines[1] + "{\"id\":\n" + lines[3],
		"unknown field":  lines[0] + strings.Replace(lines[1], `{"id"`, `{"surprise":1,"id"`, 1) + lines[2] + lines[3],
		"bad metadata":   lines[0] + strings.Replace(lines[1], `"metadata":{}`, `"metadata":[1]`, 1) + lines[2] + lines[3],
		"bad vector":     lines[0] + replaceEmbedding(t, lines[1], "AAA=") + lines[2] + lines[3],
		"duplicate id":   lines[0] + lines[1] + lines[1] + lines[3],
		"missing fields": lines[0] + `{"id":"x"}` + "\n" + lines[2] + lines[3],
	}
	for name, content := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".jsonl")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		err := dst.Restore(ctx, path, true)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "%s: %v", name, err)
		t.Logf("%s: %v", name, err)
	}
	err = dst.Restore(ctx, filepath.Join(dir, "does-not-exist.jsonl"), true)
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err))

	n, err := dst.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "nothing was changed")
	got, err := dst.GetMemory(ctx, "bad", bystander.ID)
	require.NoError(t, err)
	storetest.AssertSameMemory(t, bystander, got, true)

	// The untouched file still restores.
	require.NoError(t, dst.Restore(ctx, good, true))
	n, err = dst.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.EqualValues(t, 3, n)
}

// replaceEmbedding sets the embedding field of one JSON line.
func replaceEmbedding(t *testing.T, line, b64 string) string {
	t.Helper()
	var r map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &r))
	r["embedding"] = b64
	b, err := json.Marshal(r)
	require.NoError(t, err)
	return string(b) + "\n"
}

// mimo migrate up backs the database up before migrating, so a backup
// must read a database whose schema is older than the access-count table
// (a rollback drill's case: migrate down, then up again): the counts come
// from the memories table there, and a restore into a current schema
// carries them.
func TestBackupBeforeTheAccessTable(t *testing.T) {
	ctx := context.Background()
	src, _ := fresh(t)
	m := storetest.NewMemory("backup", "accessed before the rollback")
	last := time.Date(2025, 2, 3, 4, 5, 6, 7000, time.UTC)
	m.LastAccessedAt, m.AccessCount = &last, 3
	_, _, err := src.CreateMemory(ctx, m)
	require.NoError(t, err)
	require.NoError(t, src.TouchMemories(ctx, "backup", []string{m.ID}, last.Add(time.Hour)))
	version, err := src.SchemaVersion(ctx)
	require.NoError(t, err)
	for version >= 5 { // 5 made memory_access
		_, err = src.MigrateDown(ctx, 1)
		require.NoError(t, err)
		version, err = src.SchemaVersion(ctx)
		require.NoError(t, err)
	}

	path := filepath.Join(t.TempDir(), "snapshot.jsonl")
	require.NoError(t, src.Backup(ctx, path))
	snap := readSnapshot(t, path, version)
	require.Contains(t, snap, m.ID)
	assert.Equal(t, int64(4), snap[m.ID].AccessCount, "the count the down step moved back")
	require.NotNil(t, snap[m.ID].LastAccessedAt)
	assert.True(t, last.Add(time.Hour).Equal(*snap[m.ID].LastAccessedAt))

	dst, _ := fresh(t)
	require.NoError(t, dst.Restore(ctx, path, false))
	got, err := dst.GetMemory(ctx, "backup", m.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(4), got.AccessCount)
}
