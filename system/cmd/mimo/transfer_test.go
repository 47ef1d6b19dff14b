package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run runs mimo with args and vars (MIMO_DATA_DIR among them), returning
// the exit code, stdout and stderr.
func runMimo(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errb.String()
}

// The official memory server's memory.jsonl imports as the graph, and a
// Mimo export imports into another data directory as the same memories
// and graph.
func TestImportOfficialMemoryFileAndExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"MIMO_DATA_DIR": filepath.Join(dir, "a"), "MIMO_LOG_LEVEL": "error"}
	official := filepath.Join(dir, "memory.jsonl")
	require.NoError(t, os.WriteFile(official, []byte(strings.Join([]string{
		`{"type":"entity","name":"Ana","entityType":"person","observations":["leads billing","speaks Portuguese"]}`,
		`{"type":"entity","name":"Billing","entityType":"team","observations":[]}`,
		`{"type":"relation","from":"Ana","to":"Billing","relationType":"leads"}`,
		``,
	}, "\n")), 0o644))
	code, out, errs := runMimo(t, vars, "import", official)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "0 memories stored (0 already there), 2 entities created, 0 observations added, 1 relations created")

	// Memories in Mimo's own format, then the same file again: nothing doubles.
	mine := filepath.Join(dir, "mine.jsonl")
	require.NoError(t, os.WriteFile(mine, []byte(
		`{"kind":"memory","namespace":"team","content":"Deploys happen on Tuesdays","category":"plan","tags":["ops"],"metadata":{"source":"wiki"}}`+"\n"+
			`{"kind":"memory","content":"The office closes at six"}`+"\n"+
			`{"type":"entity","name":"Ana","entityType":"person","observations":["leads billing","likes tea"]}`+"\n"), 0o644))
	code, out, errs = runMimo(t, vars, "import", mine)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "2 memories stored (0 already there), 0 entities created, 1 observations added")
	code, out, _ = runMimo(t, vars, "import", mine)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "0 memories stored (2 already there)")

	// Export the default namespace to stdout and the team namespace to a file.
	code, out, errs = runMimo(t, vars, "export")
	require.Equal(t, 0, code, errs)
	var kinds []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
		kinds = append(kinds, v["kind"].(string))
		if v["kind"] == "memory" {
			assert.Equal(t, "The office closes at six", v["content"])
			assert.Equal(t, 0.5, v["importance"], "an absent importance took the default")
		}
	}
	assert.Equal(t, []string{"memory", "entity", "entity", "relation"}, kinds)
	teamFile := filepath.Join(dir, "team.jsonl")
	code, out, errs = runMimo(t, vars, "export", "--namespace", "team", teamFile)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "exported 1 memories, 0 entities and 0 relations")

	// Into a fresh data directory, under another namespace.
	other := map[string]string{"MIMO_DATA_DIR": filepath.Join(dir, "b"), "MIMO_LOG_LEVEL": "error"}
	code, _, errs = runMimo(t, other, "import", "--namespace", "copy", teamFile)
	require.Equal(t, 0, code, errs)
	code, out, _ = runMimo(t, other, "export", "--namespace", "copy")
	require.Equal(t, 0, code)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out)), &m))
	assert.Equal(t, "Deploys happen on Tuesdays", m["content"])
	assert.Equal(t, "copy", m["namespace"])
	assert.Equal(t, "plan", m["category"])
	assert.Equal(t, []any{"ops"}, m["tags"])
	assert.Equal(t, map[string]any{"source": "wiki"}, m["metadata"])
}

// A malformed file is refused with the line that is wrong, and nothing of
// it is imported.
func TestImportRefusesABadFileAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"MIMO_DATA_DIR": filepath.Join(dir, "d"), "MIMO_LOG_LEVEL": "error"}
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `{"kind":"memory","content":"ok"}` + "\n" + `{not json`, "line 2: not a JSON object"},
		{"unknown kind", `{"kind":"memory","content":"ok"}` + "\n" + `{"kind":"thought"}`, `line 2: unknown kind "thought"`},
		{"memory without content", `{"kind":"memory","content":"  "}`, "line 1: a memory needs content"},
		{"relation without a type", `{"type":"relation","from":"a","to":"b"}`, "line 1: a relation needs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, "bad.jsonl")
			require.NoError(t, os.WriteFile(f, []byte(tc.body), 0o644))
			code, _, errs := runMimo(t, vars, "import", f)
			assert.Equal(t, 2, code)
			assert.Contains(t, errs, tc.want)
		})
	}
	code, out, _ := runMimo(t, vars, "export")
	require.Equal(t, 0, code)
	assert.Empty(t, strings.TrimSpace(out), "nothing was imported")
	code, _, errs := runMimo(t, vars, "import")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "import needs exactly one FILE")
}
