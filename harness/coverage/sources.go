package coverage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
)

// Listed is what `go list` says about one package.
type Listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Deps       []string
}

// List runs `go list -json` in dir (the module root) over patterns and
// returns the packages it names, in its order.
func List(ctx context.Context, dir string, patterns ...string) ([]Listed, error) {
	args := append([]string{"list", "-json=ImportPath,Dir,GoFiles,Deps"}, patterns...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("coverage: go list %v: %w: %s", patterns, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var pkgs []Listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("coverage: reading go list's output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// GeneratedFiles returns the files of pkgs that carry Go's "Code generated
// ... DO NOT EDIT." header (ast.IsGenerated), named as a cover profile names
// them: import path, slash, file name.
func GeneratedFiles(pkgs []Listed) (map[string]bool, error) {
	gen := map[string]bool{}
	fset := token.NewFileSet()
	for _, p := range pkgs {
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				return nil, fmt.Errorf("coverage: %w", err)
			}
			if ast.IsGenerated(f) {
				gen[p.ImportPath+"/"+name] = true
			}
		}
	}
	return gen, nil
}

// ModulePath returns the path of the main module of dir (go list -m).
func ModulePath(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("coverage: go list -m: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(bytes.TrimSpace(out)), nil
}

// CheckComplete returns an error naming the listed packages that have Go
// files (other than generated ones) but no statement in the measured
// packages: a package the run did not instrument would otherwise drop out
// of the totals unseen.
func CheckComplete(listed []Listed, measured []Package, generated map[string]bool) error {
	seen := map[string]bool{}
	for _, p := range measured {
		seen[p.Path] = true
	}
	var missing []string
	for _, l := range listed {
		if seen[l.ImportPath] {
			continue
		}
		for _, f := range l.GoFiles {
			if !generated[l.ImportPath+"/"+f] {
				missing = append(missing, l.ImportPath)
				break
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("coverage: the profile has no statement of %s: the profile was not made with -coverpkg over system/ and harness/", strings.Join(missing, ", "))
	}
	return nil
}
