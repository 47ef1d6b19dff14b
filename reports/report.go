package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"mimo/harness/record"
)

// Status is how a scenario or a row of the success table stands.
type Status string

// The statuses. Missing means that the source expects a record the run
// did not leave (the scenario crashed, was not run, or its record is
// stale); NotRun means an opt-in scenario or gate that was not asked for.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Skip    Status = "skip"
	Missing Status = "missing"
	NotRun  Status = "not run"
)

// ScenarioView is one expected scenario (or a record no source names)
// with its records: the test's own and its sub-tests'.
type ScenarioView struct {
	Scenario
	Criterion string
	Status    Status
	Records   []record.Result
	// Expected is false for a record whose test the source does not name
	// (renamed or deleted since, or recording through a method).
	Expected bool
}

// Row is one row of the success table as this run fills it.
type Row struct {
	Criterion
	Status Status
	Figure string
	// Blocks is set when the row keeps the release from being ready: a
	// blocking row that did not pass, or any row with no record at all.
	Blocks bool
	// Why says, when the row did not pass, what is wrong, in a phrase.
	Why       string
	Scenarios []*ScenarioView
}

// Report is the sign-off: the verdict, the table, every scenario, and
// the comparison with a baseline when one was given.
type Report struct {
	Ready     bool
	Why       string
	Generated time.Time
	Run       *Run
	// Expected is what the source said the run should record.
	Expected  []Scenario
	Rows      []*Row
	Scenarios []*ScenarioView
	// Baseline is the folder compared with, "" when none; Regressions
	// are the figures that got worse beyond noise (see Compare).
	Baseline    string
	Regressions []Regression
	Compared    int
}

// Build judges run against the scenarios the source expects. baseline,
// when not nil, is an earlier run to compare figures with.
func Build(run *Run, expected []Scenario, baseline *Run) *Report {
	rep := &Report{Run: run, Expected: expected, Generated: time.Now().UTC()}
	byTest := map[string]*ScenarioView{}
	for _, s := range expected {
		v := &ScenarioView{Scenario: s, Criterion: criterionOf(s.Package), Expected: true}
		byTest[s.Package+" "+s.Test] = v
		rep.Scenarios = append(rep.Scenarios, v)
	}
	for _, r := range run.Records {
		top, _, _ := strings.Cut(r.Scenario, "/")
		v, ok := byTest[r.Package+" "+top]
		if !ok {
			v = &ScenarioView{Scenario: Scenario{Package: r.Package, Test: top}, Criterion: criterionOf(r.Package)}
			byTest[r.Package+" "+top] = v
			rep.Scenarios = append(rep.Scenarios, v)
		}
		v.Records = append(v.Records, r)
	}
	sort.SliceStable(rep.Scenarios, func(i, j int) bool {
		a, b := rep.Scenarios[i], rep.Scenarios[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.Test < b.Test
	})
	for _, v := range rep.Scenarios {
		v.Status = scenarioStatus(v)
	}
	for _, c := range criteria {
		row := &Row{Criterion: c}
		for _, v := range rep.Scenarios {
			if v.Criterion == c.Key {
				row.Scenarios = append(row.Scenarios, v)
			}
		}
		if c.Key == "coverage" {
			judgeCoverage(row, run.Coverage)
		} else {
			judgeRow(row)
		}
		row.Blocks = row.Status != Pass && (c.Blocking || row.Status == Missing)
		rep.Rows = append(rep.Rows, row)
	}
	if baseline != nil {
		rep.Baseline = baseline.Dir
		rep.Regressions, rep.Compared = Compare(baseline, run)
	}
	rep.Ready, rep.Why = verdict(rep)
	return rep
}

func scenarioStatus(v *ScenarioView) Status {
	if len(v.Records) == 0 {
		if v.OptIn {
			return NotRun
		}
		return Missing
	}
	status := Skip
	for _, r := range v.Records {
		switch r.Verdict {
		case record.Fail:
			return Fail
		case record.Pass:
			status = Pass
		}
	}
	return status
}

func judgeRow(row *Row) {
	var rs []record.Result
	var missing, failed []string
	for _, v := range row.Scenarios {
		rs = append(rs, v.Records...)
		switch v.Status {
		case Missing:
			missing = append(missing, v.Test)
		case Fail:
			failed = append(failed, v.Test)
		}
	}
	if len(rs) == 0 && len(missing) == 0 {
		row.Status, row.Why = Missing, "no scenario recorded"
		if len(row.Scenarios) > 0 {
			row.Status, row.Why = NotRun, "only opt-in scenarios, none run"
		}
		if len(row.Packages) > 0 && len(row.Scenarios) == 0 {
			row.Why = "no record"
			row.Figure = fmt.Sprintf("no scenario in %s", strings.Join(row.Packages, ", "))
		}
		return
	}
	figure, measured, fail := row.figure(rs)
	row.Figure = figure
	switch {
	case len(missing) > 0:
		row.Status, row.Why = Missing, fmt.Sprintf("no record of %s", count(len(missing), "scenario"))
	case len(failed) > 0:
		row.Status, row.Why = Fail, fmt.Sprintf("%s failed", count(len(failed), "scenario"))
	case fail != "":
		row.Status, row.Why = Fail, fail
	case !measured:
		row.Status, row.Why = NotRun, strings.TrimSuffix(strings.SplitN(figure, ";", 2)[0], " (make soak runs it)")
	default:
		row.Status = Pass
	}
}

func judgeCoverage(row *Row, c *Coverage) {
	if c == nil {
		row.Status, row.Why = Missing, "no coverage summary"
		return
	}
	sys, ok := c.Total["system"]
	if !ok {
		row.Status, row.Why = Missing, "the coverage summary has no total for system/"
		return
	}
	var parts []string
	for _, k := range sortedKeys(c.Total) {
		p := fmt.Sprintf("%s/ %.1f%%", k, c.Total[k])
		if k == "system" {
			p += fmt.Sprintf(" (floor %.0f%%)", c.Floor)
		}
		parts = append(parts, p)
	}
	row.Figure = strings.Join(parts, ", ")
	if sys < c.Floor {
		row.Status, row.Why = Fail, fmt.Sprintf("system/ below its floor of %.0f%%", c.Floor)
		return
	}
	row.Status = Pass
}

// verdict is ready when no row blocks, with the reason in one sentence.
func verdict(rep *Report) (bool, string) {
	var blocking, soft []string
	passed, total := 0, 0
	for _, v := range rep.Scenarios {
		if v.Status == Pass {
			passed++
		}
		if v.Status != NotRun {
			total++
		}
	}
	for _, r := range rep.Rows {
		switch {
		case r.Blocks:
			blocking = append(blocking, strings.ToLower(r.Title[:1])+r.Title[1:]+": "+r.Why)
		case r.Status != Pass:
			soft = append(soft, strings.ToLower(r.Title[:1])+r.Title[1:]+" "+string(r.Status))
		}
	}
	if len(blocking) > 0 {
		return false, "Not ready — " + strings.Join(blocking, "; ") + "."
	}
	why := fmt.Sprintf("Ready — every blocking criterion of the seed passed, with %d of %d scenarios passing", passed, total)
	if len(soft) > 0 {
		why += " (not blocking: " + strings.Join(soft, ", ") + ")"
	}
	return true, why + "."
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
