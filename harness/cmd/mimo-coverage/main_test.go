package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mimo/harness/coverage"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../../.."

// fixture writes a profile with one ten-statement block per Go file of
// system/ and harness/ (as go list names them), run when covered says so.
func fixture(t *testing.T, covered func(pkg string) bool) string {
	t.Helper()
	listed, err := coverage.List(t.Context(), root, "./system/...", "./harness/...")
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("mode: atomic\n")
	for _, p := range listed {
		count := 0
		if covered(p.ImportPath) {
			count = 3
		}
		for _, f := range p.GoFiles {
			fmt.Fprintf(&b, "%s/%s:1.1,2.2 10 %d\n", p.ImportPath, f, count)
		}
	}
	path := filepath.Join(t.TempDir(), "coverage.out")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), append([]string{"-root", root}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestACoveredSystemPassesAndEveryOutputIsWritten(t *testing.T) {
	profile := fixture(t, func(string) bool { return true })
	dir := t.TempDir()
	doc := filepath.Join(dir, "COVERAGE.md")
	require.NoError(t, os.WriteFile(doc, []byte("# Coverage\n"+coverage.BeginMarker+"\n"+coverage.EndMarker+"\nkept\n"), 0o600))
	jsonPath := filepath.Join(dir, "out", "coverage.json")
	merged := filepath.Join(dir, "merged.out")

	code, stdout, stderr := runCLI(t, "-profile", profile, "-json", jsonPath, "-merged", merged, "-doc", doc, "-commit", "abc123")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "system/sqlite")
	assert.Contains(t, stdout, "system/storetest (test kit, not counted)")
	assert.Contains(t, stdout, "coverage: system/ is 100.0% covered, at or above the floor of 80%")

	var s coverage.Summary
	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Equal(t, "abc123", s.Commit)
	assert.InDelta(t, 80.0, s.Floor, 1e-9)
	assert.InDelta(t, 100.0, s.Total.System, 1e-9)
	paths := map[string]bool{}
	for _, f := range s.Packages {
		paths[f.Package] = true
	}
	assert.True(t, paths["mimo/system/sqlite"], "a shipped package is listed")
	assert.True(t, paths["mimo/harness/cmd/mimo-coverage"], "a harness command is listed")
	assert.False(t, paths["mimo/system/storetest"], "a test kit is not listed")

	md, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.Contains(t, string(md), "| system/sqlite |")
	assert.True(t, strings.HasSuffix(string(md), coverage.EndMarker+"\nkept\n"), "the hand-written text stays")

	m, err := os.ReadFile(merged)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(m), "mode: atomic\n"))
}

func TestASystemUnderTheFloorFailsWithOneLine(t *testing.T) {
	profile := fixture(t, func(pkg string) bool { return !strings.HasPrefix(pkg, "mimo/system") })
	code, _, stderr := runCLI(t, "-profile", profile, "-commit", "abc123")
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^coverage: system/ is 0\.00% covered \(0 of \d+ statements\), under the floor of 80%\n$`, stderr)

	code, _, stderr = runCLI(t, "-profile", profile, "-commit", "abc123", "-check=false")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "(not enforced: -check=false)")
}

func TestAProfileMissingAPackageIsRefused(t *testing.T) {
	profile := fixture(t, func(string) bool { return true })
	b, err := os.ReadFile(profile)
	require.NoError(t, err)
	var kept []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "mimo/system/spool/") {
			kept = append(kept, line)
		}
	}
	require.NoError(t, os.WriteFile(profile, []byte(strings.Join(kept, "\n")), 0o600))

	code, _, stderr := runCLI(t, "-profile", profile, "-commit", "abc123")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "no statement of mimo/system/spool:")
}

func TestBadUsageExitsTwo(t *testing.T) {
	code, _, stderr := runCLI(t)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "Usage: mimo-coverage")

	code, _, _ = runCLI(t, "-profile", filepath.Join(t.TempDir(), "absent.out"))
	assert.Equal(t, 2, code)

	code, _, stderr = runCLI(t, "-profile", fixture(t, func(string) bool { return true }), "-commit", "x", "-binary", "./system/...")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "names ")

	code, _, _ = runCLI(t, "-no-such-flag")
	assert.Equal(t, 2, code)
}

func TestTheCommitDefaultsToGitsHead(t *testing.T) {
	commit, err := headCommit(t.Context(), root)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{40}(-dirty)?$`, commit)
}
