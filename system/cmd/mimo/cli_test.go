package main

import (
	"bytes"
	"context"
	"net"
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
		"MIMO_READ_CACHE":       "lots",
		"MIMO_SPOOL_MAX":        "-1MiB",
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

// A MIMO_* variable that is no setting (a typo, or a setting Mimo does not
// have) stops start-up with one line naming the closest setting; the
// variables of the project's own tooling are left alone.
func TestUnknownMimoVariableStopsStartup(t *testing.T) {
	run := func(environ ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), []string{"version"}, Env{Stdout: &out, Stderr: &errb,
			Getenv:  func(k string) string { return map[string]string{"MIMO_DATA_DIR": t.TempDir()}[k] },
			Environ: func() []string { return append([]string{"HOME=/nowhere", "MIMO_DATA_DIR=x"}, environ...) }})
		return code, errb.String()
	}
	for name, closest := range map[string]string{
		"MIMO_PORT": "MIMO_ADDR", "MIMO_HOST": "MIMO_ADDR", "MIMO_EMBED_DIMS": "MIMO_EMBED_DIM",
		"MIMO_LOGLEVEL": "MIMO_LOG_LEVEL", "MIMO_POSTGRES_URL": "MIMO_DATABASE_URL",
	} {
		code, errOut := run(name + "=5000")
		assert.Equal(t, 2, code, name)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		assert.Contains(t, errOut, name+" is not a Mimo setting; did you mean "+closest+"?")
	}
	code, errOut := run("MIMO_TEST_POSTGRES_URL=postgres://x", "MIMO_IMAGES_CACHE=y", "MIMO_LOG_LEVEL=warn", "NOT_MIMO=1")
	assert.Equal(t, 0, code, errOut)
}

// A bad address, or one in use, is told in one line, exit 2, before the
// database or index is opened.
func TestServeChecksItsAddressFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	for _, addr := range []string{ln.Addr().String(), "127.0.0.1:abc", "127.0.0.1:70000"} {
		dir := filepath.Join(t.TempDir(), "data")
		code, out, errOut := runCLI(t, map[string]string{"MIMO_ADDR": addr, "MIMO_DATA_DIR": dir}, "serve")
		assert.Equal(t, 2, code, addr)
		assert.Empty(t, out)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		assert.Contains(t, errOut, "MIMO_ADDR=")
		assert.NoDirExists(t, dir, "nothing was opened")
	}
}

// `mimo --version` is `mimo version`; each command's help lists its own
// flags and usage.
func TestVersionFlagAndEachCommandsOwnHelp(t *testing.T) {
	code, out, errOut := runCLI(t, map[string]string{"MIMO_DATA_DIR": t.TempDir()}, "--version")
	assert.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, "mimo "), out)

	_, out, _ = runCLI(t, nil, "version", "--help")
	assert.Contains(t, out, "Usage: mimo version")
	assert.Contains(t, out, "-data-dir")
	for _, serveOnly := range []string{"-addr", "-api-key", "-rate-limit", "-llm"} {
		assert.NotContains(t, out, serveOnly, "version does not take serve's flags")
	}
	_, out, _ = runCLI(t, nil, "serve", "--help")
	assert.Contains(t, out, "-addr")
	_, out, _ = runCLI(t, nil, "stdio", "--help")
	assert.Contains(t, out, "-llm")
	assert.NotContains(t, out, "-addr")
	for _, c := range []string{"import", "export"} {
		_, out, _ = runCLI(t, nil, c, "--help")
		assert.Contains(t, out, "Usage: mimo "+c+" [flags] [--namespace NS]")
	}
	_, out, _ = runCLI(t, nil, "--help")
	assert.Contains(t, out, "[--namespace NS] FILE")
}
