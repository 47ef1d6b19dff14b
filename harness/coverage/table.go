package coverage

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the report as a plain-text table: every counted package,
// the two totals with the floor, then the test kits.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name string, p Package) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t\n", name, p.Statements, p.Covered, p.Percent())
	}
	fmt.Fprintf(tw, "package\tstatements\tcovered\tcoverage\t\n")
	for _, p := range r.Counted {
		row(r.short(p.Path), p)
	}
	row("system/ (floor "+fmt.Sprintf("%g%%", r.Floor)+")", r.System)
	row("harness/", r.Harness)
	for _, p := range r.Kits {
		row(r.short(p.Path)+" (test kit, not counted)", p)
	}
	return tw.Flush()
}

// Markdown returns the report as the Markdown section docs/COVERAGE.md
// carries between its markers: the commit and date, then one table per tree.
func (r Report) Markdown() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Measured at commit `%s` on %s (UTC); floor for system/: %g%%.\n",
		shortCommit(r.Commit), r.Generated.UTC().Format("2006-01-02 15:04"), r.Floor)
	table := func(title string, pkgs []Package, total *Package) {
		fmt.Fprintf(&b, "\n| %s | Statements | Covered | Coverage |\n|---|---:|---:|---:|\n", title)
		for _, p := range pkgs {
			fmt.Fprintf(&b, "| %s | %d | %d | %.1f%% |\n", r.short(p.Path), p.Statements, p.Covered, p.Percent())
		}
		if total != nil {
			fmt.Fprintf(&b, "| **%s/ total** | **%d** | **%d** | **%.1f%%** |\n",
				r.short(total.Path), total.Statements, total.Covered, total.Percent())
		}
	}
	var system, harness []Package
	for _, p := range r.Counted {
		if Under(p.Path, r.System.Path) {
			system = append(system, p)
		} else {
			harness = append(harness, p)
		}
	}
	table("system/ package", system, &r.System)
	table("harness/ package", harness, &r.Harness)
	if len(r.Kits) > 0 {
		table("Test kit (not counted)", r.Kits, nil)
	}
	return b.String()
}

// short drops the module path from an import path: "system/sqlite".
func (r Report) short(p string) string {
	return strings.TrimPrefix(p, r.Module+"/")
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
