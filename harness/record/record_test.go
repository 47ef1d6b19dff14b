package record

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeT is a testing.TB whose outcome the test sets and whose cleanups it
// runs, so each verdict can be recorded without failing the real test.
type fakeT struct {
	testing.TB
	name     string
	failed   bool
	skipped  bool
	cleanups []func()
	errors   []string
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Name() string          { return f.name }
func (f *fakeT) Failed() bool          { return f.failed }
func (f *fakeT) Skipped() bool         { return f.skipped }
func (f *fakeT) Cleanup(fn func())     { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Errorf(string, ...any) { f.errors = append(f.errors, "error") }

func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func read(t *testing.T, path string) Result {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var res Result
	require.NoError(t, json.Unmarshal(b, &res))
	return res
}

func TestRecorderWritesItsResultAtCleanup(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvResultsDir, dir)
	t.Setenv(EnvCommit, "abc123")
	ft := &fakeT{name: "TestSomething/sub case"}
	r := New(ft, "the thing holds")

	want := filepath.Join(dir, "harness", "record", "TestSomething__sub_case.json")
	assert.Equal(t, want, r.Path())
	_, err := os.Stat(want)
	require.True(t, os.IsNotExist(err), "nothing is written before the test ends")

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r.Measure("latency_p95", 12.5, "ms")
	r.Measure("requests", 3, "count")
	r.AddPoint("breaker", Point{T: at, V: 1, Label: "open"})
	r.Observe("breaker", 0, "closed")
	r.Evidence("note", "three requests")
	r.SetEnv("image", "mimo:test")
	ft.end()

	require.Empty(t, ft.errors)
	res := read(t, want)
	assert.Equal(t, Format, res.Format)
	assert.Equal(t, "harness/record", res.Package)
	assert.Equal(t, "TestSomething/sub case", res.Scenario)
	assert.Equal(t, "the thing holds", res.Claim)
	assert.Equal(t, Pass, res.Verdict)
	assert.False(t, res.Started.IsZero())
	assert.GreaterOrEqual(t, res.Duration, time.Duration(0))
	assert.Equal(t, map[string]Measurement{
		"latency_p95": {Value: 12.5, Unit: "ms"},
		"requests":    {Value: 3, Unit: "count"},
	}, res.Measurements)
	require.Len(t, res.Series["breaker"], 2)
	assert.Equal(t, Point{T: at, V: 1, Label: "open"}, res.Series["breaker"][0])
	assert.Equal(t, "closed", res.Series["breaker"][1].Label)
	assert.Equal(t, []Evidence{{Kind: "note", Text: "three requests"}}, res.Evidence)
	assert.Equal(t, "abc123", res.Environment.Commit)
	assert.Equal(t, map[string]string{"image": "mimo:test"}, res.Environment.Extra)
	assert.NotEmpty(t, res.Environment.GoVersion)
	assert.Positive(t, res.Environment.CPUs)
}

func TestRecorderVerdictFollowsTheTest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failed  bool
		skipped bool
		want    Verdict
	}{
		{"TestPasses", false, false, Pass},
		{"TestFails", true, false, Fail},
		{"TestSkips", false, true, Skip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv(EnvResultsDir, dir)
			ft := &fakeT{name: tc.name}
			r := New(ft, "claim")
			ft.failed, ft.skipped = tc.failed, tc.skipped
			ft.end()
			res := read(t, r.Path())
			assert.Equal(t, tc.want, res.Verdict)
			// Empty collections are written as such, so a reader needs no
			// null checks.
			b, err := os.ReadFile(r.Path())
			require.NoError(t, err)
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(b, &raw))
			assert.JSONEq(t, "{}", string(raw["measurements"]))
			assert.JSONEq(t, "{}", string(raw["series"]))
			assert.JSONEq(t, "[]", string(raw["evidence"]))
		})
	}
}

func TestRelativeResultsDirIsUnderTheModuleRoot(t *testing.T) {
	t.Setenv(EnvResultsDir, "out/results")
	dir, pkg, err := resultsDir()
	require.NoError(t, err)
	wd, err := os.Getwd()
	require.NoError(t, err)
	root := filepath.Dir(filepath.Dir(wd)) // harness/record is two below the root
	assert.Equal(t, filepath.Join(root, "out", "results"), dir)
	assert.Equal(t, "harness/record", pkg)

	t.Setenv(EnvResultsDir, "")
	dir, _, err = resultsDir()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "results"), dir)
}

func TestWriteFailureFailsTheTest(t *testing.T) {
	dir := t.TempDir()
	// A file where the package folder should be makes the write fail.
	blocker := filepath.Join(dir, "harness")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	t.Setenv(EnvResultsDir, dir)
	ft := &fakeT{name: "TestX"}
	New(ft, "claim")
	ft.end()
	assert.Len(t, ft.errors, 1)
}

func TestEvidenceFileIsRelativeToTheRecord(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvResultsDir, dir)
	ft := &fakeT{name: "TestBroken/sub"}
	r := New(ft, "claim")
	art, err := ArtifactDir(ft)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "harness", "record", "TestBroken__sub.files"), art,
		"the artifact folder sits beside the record and shares its name")

	r.EvidenceFile("log", "mimo: the end", filepath.Join(art, "mimo.log"))
	outside := filepath.Join(t.TempDir(), "elsewhere.log")
	r.EvidenceFile("log", "kept as given", outside)
	ft.failed = true
	ft.end()

	res := read(t, r.Path())
	assert.Equal(t, Fail, res.Verdict)
	assert.Equal(t, []Evidence{
		{Kind: "log", Text: "mimo: the end", File: "TestBroken__sub.files/mimo.log"},
		{Kind: "log", Text: "kept as given", File: outside},
	}, res.Evidence)
}
