package coverage

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// Report is one run's coverage: the figures per package and per tree, and
// the floor system/ is held to.
type Report struct {
	// Module is the module path the trees are named under ("mimo").
	Module string
	// Floor is the least percentage of system/'s statements the tests must
	// cover.
	Floor float64
	// Counted are the packages whose statements make up the totals: every
	// package under harness/, and every package under system/ that the
	// Mimo binary links. Sorted by import path.
	Counted []Package
	// Kits are the packages under system/ that the Mimo binary does not
	// link: code that exists only for tests (a conformance suite, a fake
	// clock). They are shown but not counted: tests running their own
	// helpers say nothing about the server.
	Kits []Package
	// System and Harness are the totals of the counted packages of each
	// tree.
	System, Harness Package
	// Commit is the commit measured; Generated, when.
	Commit    string
	Generated time.Time
}

// NewReport sorts pkgs into the report's trees. ships holds the import paths
// the Mimo binary links (go list -deps). A package outside system/ and
// harness/ is an error: the profile was made over other packages than the
// ones this report is about.
func NewReport(module string, floor float64, pkgs []Package, ships map[string]bool) (Report, error) {
	r := Report{Module: module, Floor: floor}
	system, harness := module+"/system", module+"/harness"
	for _, p := range pkgs {
		switch {
		case Under(p.Path, system) && ships[p.Path]:
			r.Counted = append(r.Counted, p)
		case Under(p.Path, system):
			r.Kits = append(r.Kits, p)
		case Under(p.Path, harness):
			r.Counted = append(r.Counted, p)
		default:
			return Report{}, fmt.Errorf("coverage: %s is outside %s/ and %s/: the profile was not made with -coverpkg over those two trees", p.Path, system, harness)
		}
	}
	r.System = Sum(r.Counted, system)
	r.Harness = Sum(r.Counted, harness)
	if r.System.Statements == 0 {
		return Report{}, fmt.Errorf("coverage: the profile has no statement of %s/", system)
	}
	return r, nil
}

// CheckFloor returns an error, one line naming the figure and the floor,
// when system/ is covered less than the floor.
func (r Report) CheckFloor() error {
	if got := r.System.Percent(); got < r.Floor {
		return fmt.Errorf("coverage: system/ is %.2f%% covered (%d of %d statements), under the floor of %g%%",
			got, r.System.Covered, r.System.Statements, r.Floor)
	}
	return nil
}

// Summary is coverage.json, the figures the sign-off report shows.
type Summary struct {
	Floor     float64  `json:"floor"`
	Packages  []Figure `json:"packages"`
	Total     Totals   `json:"total"`
	Commit    string   `json:"commit"`
	Generated string   `json:"generated"` // RFC 3339, UTC
}

// Figure is one counted package's percentage, to one decimal.
type Figure struct {
	Package string  `json:"package"`
	Percent float64 `json:"percent"`
}

// Totals are the percentages of the two trees, to one decimal.
type Totals struct {
	System  float64 `json:"system"`
	Harness float64 `json:"harness"`
}

// Summary returns the report's JSON form: only the counted packages, so
// that the totals are made of the packages listed.
func (r Report) Summary() Summary {
	s := Summary{
		Floor:     r.Floor,
		Packages:  make([]Figure, 0, len(r.Counted)),
		Total:     Totals{System: round1(r.System.Percent()), Harness: round1(r.Harness.Percent())},
		Commit:    r.Commit,
		Generated: r.Generated.UTC().Format(time.RFC3339),
	}
	for _, p := range r.Counted {
		s.Packages = append(s.Packages, Figure{Package: p.Path, Percent: round1(p.Percent())})
	}
	return s
}

// WriteJSON writes the summary to path, creating its folder.
func (r Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r.Summary(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	return nil
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
