package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCLI runs one mimo command in-process and returns its exit code and
// output streams.
func runCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errb.String()
}

func TestEveryCommandHasHelp(t *testing.T) {
	code, out, _ := runCLI(t, nil, "--help")
	assert.Equal(t, 0, code)
	for _, c := range commands {
		assert.Contains(t, out, c.name)
		code, out, errOut := runCLI(t, nil, c.name, "--help")
		assert.Equal(t, 0, code, c.name)
		assert.Empty(t, errOut, "help goes to stdout only")
		assert.Equal(t, 1, strings.Count(out, "Usage:"), "help printed once")
		assert.Contains(t, out, "Usage: mimo "+c.name, c.name)
		assert.Contains(t, out, "MIMO_DATABASE_URL", c.name)
	}
	code, _, errOut := runCLI(t, nil, "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "unknown command")
}

func TestBadSettingStopsStartupWithOneClearLine(t *testing.T) {
	cases := map[string]string{
		"MIMO_ADDR":             "localhost",
		"MIMO_DATABASE_URL":     "mysql://x",
		"MIMO_EMBEDDER":         "word2vec",
		"MIMO_EMBED_DIM":        "many",
		"MIMO_LLM":              "oracle",
		"MIMO_BREAKER_FAILURES": "0",
		"MIMO_BREAKER_RESET":    "soon",
		"MIMO_LOG_LEVEL":        "loud",
		"MIMO_RATE_LIMIT":       "-3",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI(t, map[string]string{name: value, "MIMO_DATA_DIR": t.TempDir()}, "serve")
			assert.Equal(t, 2, code)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "want one line, got %q", errOut)
			assert.Contains(t, errOut, name)
			assert.Contains(t, errOut, "set it")
		})
	}
	// A flag overrides the variable and is named in the message.
	code, _, errOut := runCLI(t, map[string]string{"MIMO_DATA_DIR": t.TempDir()}, "serve", "--embed-dim", "0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--embed-dim")
}

func TestMigrateBackupRestore(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			vars := b.env(t)
			vars["MIMO_DATA_DIR"] = t.TempDir()

			code, out, errOut := runCLI(t, vars, "migrate", "status")
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "pending")
			code, out, errOut = runCLI(t, vars, "migrate", "up")
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "applied")
			code, out, _ = runCLI(t, vars, "migrate", "up")
			require.Equal(t, 0, code)
			assert.Contains(t, out, "up to date")
			code, out, errOut = runCLI(t, vars, "migrate", "down", "99")
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "rolled back")
			code, out, _ = runCLI(t, vars, "migrate", "status")
			require.Equal(t, 0, code)
			assert.NotContains(t, out, "yes")
			code, _, _ = runCLI(t, vars, "migrate", "down", "x")
			assert.Equal(t, 2, code)

			// Serve (which migrates), store, then back up while serving.
			srvVars := map[string]string{}
			for k, v := range vars {
				srvVars[k] = v
			}
			s := startServer(t, srvVars)
			id := store(t, s.URL, "default", "a memory worth backing up", nil)
			backup := filepath.Join(t.TempDir(), "snapshot")
			code, _, errOut = runCLI(t, vars, "backup", backup)
			require.Equal(t, 0, code, errOut)
			code, _, errOut = runCLI(t, vars, "backup", backup)
			assert.Equal(t, 1, code, "overwriting a backup must be refused")
			assert.NotEmpty(t, errOut)
			store(t, s.URL, "default", "a memory made after the backup", nil)
			s.stop(t)

			// Restore refuses to overwrite live data without --force.
			code, _, errOut = runCLI(t, vars, "restore", backup)
			assert.Equal(t, 1, code)
			assert.Contains(t, errOut, "force")
			code, _, errOut = runCLI(t, vars, "restore", "--force", backup)
			require.Equal(t, 0, code, errOut)

			s2 := startServer(t, srvVars)
			code, got := call(t, "GET", s2.URL+"/api/memories", nil)
			require.Equal(t, http.StatusOK, code)
			require.Len(t, got["memories"], 1)
			assert.Equal(t, id, got["memories"].([]any)[0].(map[string]any)["id"])

			code, out, errOut = runCLI(t, vars, "version")
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "mimo ")
			assert.Contains(t, out, "database: "+b.name)
		})
	}
}
