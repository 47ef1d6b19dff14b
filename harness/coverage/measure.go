// Package coverage turns the cover profile of one `go test -coverpkg` run
// into the figures of the release sign-off: statements covered per package,
// the totals of system/ and harness/, and the floor system/ must stay above.
//
// A -coverpkg run writes one profile in which every test binary reports every
// instrumented package it links, so a block appears once per binary. Blocks
// are merged by position (golang.org/x/tools/cover, as `go tool cover`
// does): a statement counts as covered when any test binary ran it.
package coverage

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"golang.org/x/tools/cover"
)

// Package is one Go package's statement count in a profile.
type Package struct {
	// Path is the package's import path.
	Path string
	// Statements is the number of statements instrumented; Covered, how
	// many of them at least one test ran.
	Statements, Covered int
}

// Percent is Covered / Statements × 100; a package without statements is
// 100% covered (nothing in it can go untested).
func (p Package) Percent() float64 {
	if p.Statements == 0 {
		return 100
	}
	return 100 * float64(p.Covered) / float64(p.Statements)
}

// Measure counts the statements of profiles per package, leaving out the
// files that skip reports true for (generated code); skip may be nil. The
// profiles must already be merged by block, as cover.ParseProfiles returns
// them. The result is sorted by import path.
func Measure(profiles []*cover.Profile, skip func(file string) bool) ([]Package, error) {
	byPath := map[string]*Package{}
	for _, prof := range profiles {
		if skip != nil && skip(prof.FileName) {
			continue
		}
		dir := path.Dir(prof.FileName)
		if dir == "." || !strings.HasSuffix(prof.FileName, ".go") {
			return nil, fmt.Errorf("coverage: %q is not a Go file named by its import path", prof.FileName)
		}
		p := byPath[dir]
		if p == nil {
			p = &Package{Path: dir}
			byPath[dir] = p
		}
		for _, b := range prof.Blocks {
			p.Statements += b.NumStmt
			if b.Count > 0 {
				p.Covered += b.NumStmt
			}
		}
	}
	out := make([]Package, 0, len(byPath))
	for _, p := range byPath {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Package) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// Sum adds up the packages whose import path is root or lies under it.
func Sum(pkgs []Package, root string) Package {
	total := Package{Path: root}
	for _, p := range pkgs {
		if Under(p.Path, root) {
			total.Statements += p.Statements
			total.Covered += p.Covered
		}
	}
	return total
}

// Under reports whether the import path p is root or one of its subpackages.
func Under(p, root string) bool {
	return p == root || strings.HasPrefix(p, root+"/")
}

// WriteProfile writes profiles in the cover profile format, one line per
// merged block, so that `go tool cover -html` and -func read them as they
// read go test's own output.
func WriteProfile(w io.Writer, profiles []*cover.Profile) error {
	if len(profiles) == 0 {
		return fmt.Errorf("coverage: no profile to write")
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "mode: %s\n", profiles[0].Mode)
	for _, p := range profiles {
		for _, b := range p.Blocks {
			fmt.Fprintf(bw, "%s:%d.%d,%d.%d %d %d\n", p.FileName, b.StartLine, b.StartCol, b.EndLine, b.EndCol, b.NumStmt, b.Count)
		}
	}
	return bw.Flush()
}
