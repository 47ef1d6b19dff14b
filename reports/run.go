// Package reports turns the validation suite's records (harness/record's
// JSON, one file per scenario) into the release sign-off: a verdict, the
// seed's success table row by row, every scenario with its claim, figures,
// charts and evidence, the environment, and a comparison with an earlier
// run. It writes one self-contained HTML page, JUnit XML and the raw JSON
// it was built from (Write).
package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"mimo/harness/record"
)

// Run is what one run of the suite left in its results folder.
type Run struct {
	// Dir is the results folder read.
	Dir string `json:"dir"`
	// Records are the scenarios' records (results/scenarios/**.json),
	// sorted by package then scenario. Records outside scenarios/ (a
	// harness unit test's) are not read.
	Records []record.Result `json:"records"`
	// Stale are records found but left out: started outside every run
	// window of Environment (a leftover of an earlier run).
	Stale []record.Result `json:"stale,omitempty"`
	// Coverage is results/coverage/coverage.json; nil when absent.
	Coverage *Coverage `json:"coverage,omitempty"`
	// Environment is results/environment.json (written by make validate)
	// and results/environment-soak.json (make soak); nil when absent.
	Environment *Environment `json:"environment,omitempty"`
	Soak        *Environment `json:"soak,omitempty"`
}

// Coverage is the coverage summary the CI's coverage step writes: Floor is
// the percentage system/ must reach, Total the figure per tree ("system",
// "harness"), Packages the figure per package, all in percent.
type Coverage struct {
	Floor    float64            `json:"floor"`
	Packages []PackageCoverage  `json:"packages"`
	Total    map[string]float64 `json:"total"`
}

// PackageCoverage is one package's statement coverage, in percent.
type PackageCoverage struct {
	Package string  `json:"package"`
	Percent float64 `json:"percent"`
}

// Environment is what a run ran on, written by `mimo-report env` around
// the scenarios: the run's window, the commit, and the image ID of every
// mimo-harness/* image the harness used.
type Environment struct {
	Commit    string            `json:"commit"`
	Started   time.Time         `json:"started"`
	Ended     time.Time         `json:"ended,omitzero"`
	GoVersion string            `json:"go_version"`
	OS        string            `json:"os"`
	Arch      string            `json:"arch"`
	Kernel    string            `json:"kernel,omitempty"`
	CPUs      int               `json:"cpus"`
	CPUModel  string            `json:"cpu_model,omitempty"`
	MemoryMiB int               `json:"memory_mib,omitempty"`
	Images    map[string]string `json:"images,omitempty"`
}

// contains reports whether t lies in the environment's window; an
// unfinished window (no Ended) runs to now.
func (e *Environment) contains(t time.Time) bool {
	if e == nil || e.Started.IsZero() {
		return false
	}
	end := e.Ended
	if end.IsZero() {
		end = time.Now()
	}
	// The window is stamped by a separate process: a second of slack on
	// each side for clocks read at different moments.
	return !t.Before(e.Started.Add(-time.Second)) && !t.After(end.Add(time.Second))
}

// File names in the results folder.
const (
	EnvironmentFile     = "environment.json"
	SoakEnvironmentFile = "environment-soak.json"
	CoverageFile        = "coverage/coverage.json"
	scenariosFolder     = "scenarios"
)

// Load reads the results folder dir: every record under dir/scenarios
// (artifact folders, *.files, skipped), the coverage summary and the
// environment files when present. A record of a format other than
// record.Format, or a file that is not JSON, is an error: the report
// never guesses. When an environment file is present, a record that
// started outside both runs' windows is moved to Stale.
func Load(dir string) (*Run, error) {
	run := &Run{Dir: dir}
	var err error
	if run.Environment, err = readEnvironment(filepath.Join(dir, EnvironmentFile)); err != nil {
		return nil, err
	}
	if run.Soak, err = readEnvironment(filepath.Join(dir, SoakEnvironmentFile)); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(CoverageFile))); err == nil {
		var c Coverage
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("reading %s: %w", CoverageFile, err)
		}
		run.Coverage = &c
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	root := filepath.Join(dir, scenariosFolder)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipDir // no scenario ran: every row is missing
			}
			return err
		}
		if d.IsDir() {
			if strings.HasSuffix(d.Name(), ".files") {
				return fs.SkipDir
			}
			return nil
		}
		if filepath.Ext(path) != ".json" || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		res, err := readRecord(path)
		if err != nil {
			return err
		}
		if run.windowed() && !run.Environment.contains(res.Started) && !run.Soak.contains(res.Started) {
			run.Stale = append(run.Stale, res)
			return nil
		}
		run.Records = append(run.Records, res)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortRecords(run.Records)
	sortRecords(run.Stale)
	return run, nil
}

// windowed reports whether the run has a window to judge records' age by.
func (r *Run) windowed() bool {
	return (r.Environment != nil && !r.Environment.Started.IsZero()) || (r.Soak != nil && !r.Soak.Started.IsZero())
}

func readRecord(path string) (record.Result, error) {
	var res record.Result
	b, err := os.ReadFile(path)
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("reading record %s: %w", path, err)
	}
	if res.Format != record.Format {
		return res, fmt.Errorf("record %s has format %d; this report reads format %d", path, res.Format, record.Format)
	}
	return res, nil
}

func readEnvironment(path string) (*Environment, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var e Environment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return &e, nil
}

func sortRecords(rs []record.Result) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Package != rs[j].Package {
			return rs[i].Package < rs[j].Package
		}
		return rs[i].Scenario < rs[j].Scenario
	})
}
