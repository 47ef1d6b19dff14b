package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system/spool"
)

func TestServeKeepsItsWriteSpoolInTheDataDirectory(t *testing.T) {
	s := startServer(t, map[string]string{"MIMO_SPOOL_MAX": "1MiB", "MIMO_READ_CACHE": "0"})
	code, body := call(t, "GET", s.URL+"/health", nil)
	require.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"pending": 0.0, "bytes": 0.0}, body["spool"])
	st, err := os.Stat(filepath.Join(s.DataDir, "spool"))
	require.NoError(t, err)
	assert.True(t, st.IsDir())

	// A second process on the same data directory serves without a spool.
	other := startServer(t, map[string]string{"MIMO_DATA_DIR": s.DataDir})
	code, _ = call(t, "GET", other.URL+"/health", nil)
	assert.Equal(t, 200, code)
	assert.Contains(t, other.stderr.String(), "another Mimo process holds the write spool")
}

func TestADamagedSpoolStopsStartup(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	require.NoError(t, err)
	require.NoError(t, sp.Append([]byte(`{"op":"delete","namespace":"a","id":"x"}`)))
	require.NoError(t, sp.Append([]byte(`{"op":"delete","namespace":"a","id":"y"}`)))
	require.NoError(t, sp.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "spool", "*.log"))
	require.NoError(t, err)
	require.Len(t, segs, 1)
	b, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	b[10] ^= 0xff // inside the first record: not a torn end
	require.NoError(t, os.WriteFile(segs[0], b, 0o600))

	code, _, errOut := runCLI(t, map[string]string{"MIMO_DATA_DIR": dir, "MIMO_ADDR": "127.0.0.1:0"}, "serve")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "spool corrupt")
}

func TestServeAppliesAnEarlierRunsQueuedWritesBeforeServing(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	require.NoError(t, err)
	const id = "01a23832-1dfa-7a80-9721-0d3d2bad8c58"
	content := "Queued by a process that was killed."
	sum := sha256.Sum256([]byte(content))
	rec, err := json.Marshal(map[string]any{"op": "store", "memories": []map[string]any{{
		"id": id, "namespace": "boot", "content": content, "category": "fact", "importance": 0.5,
		"tags": []string{}, "metadata": map[string]any{}, "created_at": "2026-12-02T10:00:00Z",
		"updated_at": "2026-12-02T10:00:00Z", "content_hash": hex.EncodeToString(sum[:]),
	}}})
	require.NoError(t, err)
	require.NoError(t, sp.Append(rec))
	require.NoError(t, sp.Close())

	s := startServer(t, map[string]string{"MIMO_DATA_DIR": dir})
	code, body := call(t, "GET", s.URL+"/api/memories/"+id+"?namespace=boot", nil)
	require.Equal(t, 200, code, "applied before the first request: %v", body)
	assert.Equal(t, content, body["content"])
	_, h := call(t, "GET", s.URL+"/health", nil)
	assert.Equal(t, map[string]any{"pending": 0.0, "bytes": 0.0}, h["spool"])
}
