package reports

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"
	"time"

	"mimo/harness/record"
)

//go:embed page/index.html.tmpl page/style.css
var pageFS embed.FS

var pageTemplate = template.Must(template.New("index.html.tmpl").Funcs(template.FuncMap{
	"statusClass": func(s Status) string { return "s-" + strings.ReplaceAll(string(s), " ", "-") },
	"statusWord":  func(s Status) string { return strings.ToUpper(string(s)) },
}).ParseFS(pageFS, "page/index.html.tmpl"))

// evidenceLimit bounds the text of one piece of evidence on the page; the
// whole is in its file, linked, or in records.json.
const evidenceLimit = 6000

type pageData struct {
	Ready        bool
	Why          string
	Commit       string
	RunDate      string
	RunDuration  string
	Generated    string
	CSS          template.CSS
	Rows         []pageRow
	Coverage     []nameValue
	CoverageFile string
	Baseline     string
	Noise        string
	Floors       string
	Regressions  []pageRegression
	Compared     int
	Stale        []string
	Env          []nameValue
	ResultsDir   string
}

type pageRow struct {
	*Row
	Scenarios []pageScenario
}

type pageScenario struct {
	ID, Test, Package, Claim, Duration, Note string
	Status                                   Status
	Failed                                   bool
	Records                                  []pageRecord
}

type pageRecord struct {
	Sub, Claim, Duration string
	Status               Status
	Measures             []pageMeasure
	Charts               []Chart
	Evidence             []pageEvidence
}

type pageMeasure struct {
	Name, Value, Before string
	Worse               bool
}

type pageEvidence struct {
	Kind, Text, File, Link string
	Open                   bool
}

type pageRegression struct {
	Scenario, Name, Before, After, Change string
}

type nameValue struct{ Name, Value string }

// RenderHTML writes rep as one self-contained page to w. outDir is the
// folder the page is written to, so that links to evidence files in the
// results folder are relative to it.
func RenderHTML(w io.Writer, rep *Report, outDir string) error {
	css, err := pageFS.ReadFile("page/style.css")
	if err != nil {
		return err
	}
	d := pageData{
		Ready: rep.Ready, Why: rep.Why, CSS: template.CSS(css), CoverageFile: CoverageFile,
		Generated: rep.Generated.Format("2006-01-02 15:04 MST"), Baseline: rep.Baseline, Compared: rep.Compared,
		Noise: fmt.Sprintf("%.0f%%", RelativeNoise*100), ResultsDir: rep.Run.Dir,
	}
	var floors []string
	for _, u := range sortedKeys(absFloor) {
		floors = append(floors, u+" "+formatValue(absFloor[u], u))
	}
	d.Floors = strings.Join(floors, ", ")
	d.Commit, d.RunDate, d.RunDuration = runIdentity(rep.Run)
	d.Env = environmentRows(rep.Run)
	if c := rep.Run.Coverage; c != nil {
		for _, k := range sortedKeys(c.Total) {
			d.Coverage = append(d.Coverage, nameValue{k + "/ (all)", fmt.Sprintf("%.1f%%", c.Total[k])})
		}
		for _, p := range c.Packages {
			d.Coverage = append(d.Coverage, nameValue{p.Package, fmt.Sprintf("%.1f%%", p.Percent)})
		}
	}
	worse := map[string]Regression{}
	for _, r := range rep.Regressions {
		worse[r.Package+"\x00"+r.Scenario+"\x00"+r.Name] = r
		d.Regressions = append(d.Regressions, pageRegression{
			Scenario: r.Scenario, Name: r.Name, Before: formatValue(r.Before, r.Unit), After: formatValue(r.After, r.Unit),
			Change: fmt.Sprintf("%+.0f%%", r.Change*100),
		})
	}
	for _, row := range rep.Rows {
		pr := pageRow{Row: row}
		for _, v := range row.Scenarios {
			pr.Scenarios = append(pr.Scenarios, scenarioView(v, rep, worse, outDir))
		}
		d.Rows = append(d.Rows, pr)
	}
	for _, s := range rep.Run.Stale {
		d.Stale = append(d.Stale, fmt.Sprintf("%s %s (started %s)", s.Package, s.Scenario, s.Started.Format(time.RFC3339)))
	}
	return pageTemplate.Execute(w, d)
}

func scenarioView(v *ScenarioView, rep *Report, worse map[string]Regression, outDir string) pageScenario {
	ps := pageScenario{ID: anchor(v.Package + "-" + v.Test), Test: v.Test, Package: v.Package, Status: v.Status, Failed: v.Status == Fail || v.Status == Missing}
	switch v.Status {
	case Missing:
		ps.Note = "No record: the scenario did not run to its end (it crashed, timed out, or was not run), so nothing it claims is shown to hold."
	case NotRun:
		ps.Note = "Opt-in, not run: " + v.SkipReason
	}
	if !v.Expected {
		ps.Note = "Recorded, but no top-level test of this name that starts a record is in the source."
	}
	var total time.Duration
	for _, r := range v.Records {
		total += r.Duration
		pr := pageRecord{Claim: r.Claim, Status: verdictStatus(r.Verdict), Duration: formatDuration(r.Duration)}
		if r.Scenario != v.Test {
			pr.Sub = strings.TrimPrefix(r.Scenario, v.Test+"/")
		} else {
			ps.Claim, pr.Claim, pr.Duration = r.Claim, "", ""
		}
		for _, n := range sortedKeys(r.Measurements) {
			m := r.Measurements[n]
			pm := pageMeasure{Name: n, Value: formatValue(m.Value, m.Unit)}
			if g, ok := worse[r.Package+"\x00"+r.Scenario+"\x00"+n]; ok {
				pm.Worse, pm.Before = true, formatValue(g.Before, g.Unit)
			}
			pr.Measures = append(pr.Measures, pm)
		}
		pr.Charts = Charts(r)
		failed := r.Verdict == record.Fail
		for _, e := range r.Evidence {
			pe := pageEvidence{Kind: e.Kind, Text: tail(e.Text, evidenceLimit), File: e.File, Open: failed && e.Kind != "timeline"}
			if e.File != "" {
				pe.Link = evidenceLink(rep.Run.Dir, r.Package, e.File, outDir)
			}
			pr.Evidence = append(pr.Evidence, pe)
		}
		ps.Records = append(ps.Records, pr)
	}
	if total > 0 {
		ps.Duration = formatDuration(total)
	}
	return ps
}

func verdictStatus(v record.Verdict) Status {
	switch v {
	case record.Pass:
		return Pass
	case record.Fail:
		return Fail
	}
	return Skip
}

// evidenceLink is the path from the page's folder to an evidence file,
// which the record names relative to its own folder.
func evidenceLink(resultsDir, pkg, file, outDir string) string {
	if filepath.IsAbs(file) {
		return "file://" + filepath.ToSlash(file)
	}
	target := filepath.Join(resultsDir, filepath.FromSlash(pkg), filepath.FromSlash(file))
	if outDir != "" {
		absOut, err1 := filepath.Abs(outDir)
		absT, err2 := filepath.Abs(target)
		if err1 == nil && err2 == nil {
			if rel, err := filepath.Rel(absOut, absT); err == nil {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(target)
}

// runIdentity is the commit, date and length of the run, from the
// environment file, else from the records.
func runIdentity(run *Run) (commit, date, duration string) {
	commit = "(commit unknown)"
	if e := run.Environment; e != nil {
		if e.Commit != "" {
			commit = e.Commit
		}
		date = e.Started.UTC().Format("2006-01-02 15:04 MST")
		if !e.Ended.IsZero() {
			duration = formatDuration(e.Ended.Sub(e.Started))
		}
		return commit, date, duration
	}
	var first, last time.Time
	for _, r := range run.Records {
		if r.Environment.Commit != "" {
			commit = r.Environment.Commit
		}
		if first.IsZero() || r.Started.Before(first) {
			first = r.Started
		}
		if end := r.Started.Add(r.Duration); end.After(last) {
			last = end
		}
	}
	if first.IsZero() {
		return commit, "(no records)", ""
	}
	return commit, first.UTC().Format("2006-01-02 15:04 MST"), formatDuration(last.Sub(first))
}

func environmentRows(run *Run) []nameValue {
	var out []nameValue
	add := func(n, v string) {
		if v != "" {
			out = append(out, nameValue{n, v})
		}
	}
	if e := run.Environment; e != nil {
		add("Commit", e.Commit)
		add("Go", e.GoVersion)
		add("Machine", fmt.Sprintf("%d CPUs%s, %s/%s%s%s", e.CPUs, prefixed(" ", e.CPUModel), e.OS, e.Arch, prefixed(", kernel ", e.Kernel), memory(e.MemoryMiB)))
		add("Run started", e.Started.UTC().Format(time.RFC3339))
		if !e.Ended.IsZero() {
			add("Run ended", fmt.Sprintf("%s (%s)", e.Ended.UTC().Format(time.RFC3339), formatDuration(e.Ended.Sub(e.Started))))
		}
		for _, img := range sortedKeys(e.Images) {
			add("Image "+img, e.Images[img])
		}
	} else {
		add("Environment", "no "+EnvironmentFile+" in the results (make validate writes it): image digests and the run's window are unknown; from the records:")
		seen := map[string]bool{}
		for _, r := range run.Records {
			env := r.Environment
			k := fmt.Sprintf("%s, %s/%s, %d CPUs", env.GoVersion, env.OS, env.Arch, env.CPUs)
			if !seen[k] {
				seen[k] = true
				add("Go and machine", k)
			}
		}
	}
	if s := run.Soak; s != nil {
		add("Soak run", fmt.Sprintf("%s, %s", s.Started.UTC().Format(time.RFC3339), formatDuration(s.Ended.Sub(s.Started))))
	}
	extra := map[string]map[string]bool{}
	for _, r := range run.Records {
		for k, v := range r.Environment.Extra {
			if extra[k] == nil {
				extra[k] = map[string]bool{}
			}
			extra[k][v] = true
		}
	}
	for _, k := range sortedKeys(extra) {
		add("Recorded "+k, strings.Join(sortedKeys(extra[k]), ", "))
	}
	return out
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func memory(mib int) string {
	if mib == 0 {
		return ""
	}
	return fmt.Sprintf(", %.1f GiB memory", float64(mib)/1024)
}

// formatDuration writes d rounded for a reader: 850 ms, 12.6 s, 4 min 05 s.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
}

// tail keeps the last n bytes of s (a log's end says most), cut at a line.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < 200 {
		s = s[i+1:]
	}
	return "… (cut; the whole is in the file or records.json)\n" + s
}

func anchor(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
