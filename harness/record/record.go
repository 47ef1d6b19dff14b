// Package record writes what a validation scenario claimed, what it
// measured and how it ended as one JSON file per test, the input of the
// sign-off report. The format is documented in README.md; Format is its
// version.
package record

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Format is the version of the JSON format written; a reader should refuse
// a version it does not know.
const Format = 1

// EnvResultsDir names the environment variable that overrides the results
// folder; a relative path is taken from the module root.
const EnvResultsDir = "MIMO_RESULTS_DIR"

// EnvCommit names the environment variable whose value, when set, is
// recorded as the commit under test.
const EnvCommit = "MIMO_COMMIT"

// Verdict is how a scenario ended.
type Verdict string

// The verdicts, from the test's own outcome.
const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
	Skip Verdict = "skip"
)

// Result is one scenario's record, the content of one JSON file.
type Result struct {
	Format   int     `json:"format"`
	Package  string  `json:"package"`
	Scenario string  `json:"scenario"`
	Claim    string  `json:"claim"`
	Verdict  Verdict `json:"verdict"`
	// Started is when New was called; Duration runs from then until the
	// test's cleanup, in nanoseconds in JSON.
	Started      time.Time              `json:"started"`
	Duration     time.Duration          `json:"duration_ns"`
	Measurements map[string]Measurement `json:"measurements"`
	Series       map[string][]Point     `json:"series"`
	Evidence     []Evidence             `json:"evidence"`
	Environment  Environment            `json:"environment"`
}

// Measurement is one figure and its unit ("ms", "s", "count", "per_s",
// "bytes", "ratio"; see README.md).
type Measurement struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// Point is one observation of a time series, such as a breaker's state
// (V) with its name (Label) at the moment it was seen (T).
type Point struct {
	T     time.Time `json:"t"`
	V     float64   `json:"v"`
	Label string    `json:"label,omitempty"`
}

// Evidence is one thing the report shows to back the verdict: Kind says
// what it is ("log", "response", "metrics", "note", "error" ...) and Text
// is it, verbatim, or an excerpt of it when File names the whole: a path
// relative to the record's folder, in the test's artifact folder (see
// ArtifactDir), "/"-separated.
type Evidence struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
	File string `json:"file,omitempty"`
}

// Environment is what the scenario ran on. Extra holds what the scenario
// adds itself, such as image names or settings.
type Environment struct {
	GoVersion string            `json:"go_version"`
	OS        string            `json:"os"`
	Arch      string            `json:"arch"`
	CPUs      int               `json:"cpus"`
	Commit    string            `json:"commit,omitempty"`
	Extra     map[string]string `json:"extra,omitempty"`
}

// Recorder collects one test's record and writes it when the test ends.
// Its methods are safe for concurrent use.
type Recorder struct {
	t    testing.TB
	path string

	mu  sync.Mutex
	res Result
}

// New starts the record of t, a scenario that claims claim, and registers
// a t.Cleanup that writes it to <results>/<package>/<test>.json with the
// verdict skip when t was skipped, fail when it failed, pass otherwise.
// <results> is $MIMO_RESULTS_DIR or "results" at the module root;
// <package> is the test's folder relative to the module root; in <test>,
// a sub-test's "/" becomes "__". Cleanups run last-registered first, so a
// failure in a cleanup registered before New (such as an environment's
// teardown) is not in the verdict. Not finding the module root fails t;
// failing to write the file fails t from its cleanup.
func New(t testing.TB, claim string) *Recorder {
	t.Helper()
	dir, pkg, err := resultsDir()
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	r := &Recorder{
		t:    t,
		path: filepath.Join(dir, filepath.FromSlash(pkg), fileName(t.Name())),
		res: Result{
			Format:       Format,
			Package:      pkg,
			Scenario:     t.Name(),
			Claim:        claim,
			Started:      time.Now().UTC(),
			Measurements: map[string]Measurement{},
			Series:       map[string][]Point{},
			Evidence:     []Evidence{},
			Environment: Environment{
				GoVersion: runtime.Version(),
				OS:        runtime.GOOS,
				Arch:      runtime.GOARCH,
				CPUs:      runtime.NumCPU(),
				Commit:    os.Getenv(EnvCommit),
			},
		},
	}
	t.Cleanup(r.finish)
	return r
}

// Path is the file the record is written to.
func (r *Recorder) Path() string { return r.path }

// ArtifactDir is the folder beside t's record for files too large for it,
// such as the logs of every container of a failed scenario:
// <results>/<package>/<test>.files, with <test> as in the record's name.
// It is not created here.
func ArtifactDir(t testing.TB) (string, error) {
	dir, pkg, err := resultsDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(pkg), baseName(t.Name())+".files"), nil
}

// EvidenceFile appends one piece of evidence whose whole is the file at
// path, which must lie in the test's ArtifactDir; text is an excerpt for
// the report to show. A path outside the record's folder is recorded as
// given.
func (r *Recorder) EvidenceFile(kind, text, path string) {
	file := path
	if rel, err := filepath.Rel(filepath.Dir(r.path), path); err == nil && filepath.IsLocal(rel) {
		file = filepath.ToSlash(rel)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Evidence = append(r.res.Evidence, Evidence{Kind: kind, Text: text, File: file})
}

// Measure records the figure name; a second call for name replaces it.
func (r *Recorder) Measure(name string, value float64, unit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Measurements[name] = Measurement{Value: value, Unit: unit}
}

// Observe appends a point taken now to the series name.
func (r *Recorder) Observe(name string, v float64, label string) {
	r.AddPoint(name, Point{T: time.Now().UTC(), V: v, Label: label})
}

// AddPoint appends p to the series name.
func (r *Recorder) AddPoint(name string, p Point) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Series[name] = append(r.res.Series[name], p)
}

// Evidence appends one piece of evidence.
func (r *Recorder) Evidence(kind, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Evidence = append(r.res.Evidence, Evidence{Kind: kind, Text: text})
}

// SetEnv records key=value in the environment's Extra.
func (r *Recorder) SetEnv(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.res.Environment.Extra == nil {
		r.res.Environment.Extra = map[string]string{}
	}
	r.res.Environment.Extra[key] = value
}

// Result returns a copy of the record so far, with the verdict the test
// would get now.
func (r *Recorder) Result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Verdict = verdict(r.t)
	res.Duration = time.Since(res.Started)
	res.Measurements = maps.Clone(res.Measurements)
	res.Series = map[string][]Point{}
	for k, v := range r.res.Series {
		res.Series[k] = append([]Point(nil), v...)
	}
	res.Evidence = append([]Evidence{}, res.Evidence...)
	res.Environment.Extra = maps.Clone(res.Environment.Extra)
	return res
}

func (r *Recorder) finish() {
	if err := write(r.path, r.Result()); err != nil {
		r.t.Errorf("record: %v", err)
	}
}

func verdict(t testing.TB) Verdict {
	switch {
	case t.Skipped():
		return Skip
	case t.Failed():
		return Fail
	}
	return Pass
}

// write writes res as indented JSON to path, through a temporary file so a
// reader never sees half a record.
func write(path string, res Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".record-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.=+-]`)

// fileName maps a test name to its record's file name, the same on every
// OS.
func fileName(test string) string { return baseName(test) + ".json" }

func baseName(test string) string {
	return unsafeChars.ReplaceAllString(strings.ReplaceAll(test, "/", "__"), "_")
}

// resultsDir returns the results folder and the test's package folder
// relative to the module root, found from the working directory, which
// go test sets to the package's folder.
func resultsDir() (dir, pkg string, err error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", "", err
	}
	pkg, err = filepath.Rel(root, wd)
	if err != nil {
		return "", "", err
	}
	dir = os.Getenv(EnvResultsDir)
	switch {
	case dir == "":
		dir = filepath.Join(root, "results")
	case !filepath.IsAbs(dir):
		dir = filepath.Join(root, dir)
	}
	return dir, filepath.ToSlash(pkg), nil
}

func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or above", dir)
		}
		d = parent
	}
}
