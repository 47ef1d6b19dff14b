// Command mimo-coverage reads the cover profile of `make test` (one
// `go test -coverpkg=./system/...,./harness/...` run), prints the coverage
// of every package of system/ and harness/, writes the sign-off report's
// coverage.json and, with -doc, rewrites the figures in docs/COVERAGE.md.
// It runs in the module root, or -root (it asks `go list` which packages exist, which
// files are generated and which packages the Mimo binary links).
//
// Exit status: 0 when system/ is covered at least -floor percent, 1 when it
// is under the floor (one line on stderr names the figure), 2 on bad usage
// or an unreadable profile.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"mimo/harness/coverage"

	"golang.org/x/tools/cover"
)

const usage = `Usage: mimo-coverage -profile FILE [-json FILE] [-merged FILE] [-doc FILE] [-floor N] [-commit REV]

Prints the statements covered per package of system/ and harness/ from a
go test -coverpkg profile; exits 1 when system/ is under the floor.

Flags:
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	profile, jsonPath, merged, doc string
	floor                          float64
	commit, binary, root           string
	check                          bool
}

// run is the command with its arguments and streams; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mimo-coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var o options
	fs.StringVar(&o.profile, "profile", "", "the cover profile go test -coverprofile wrote (required)")
	fs.StringVar(&o.jsonPath, "json", "", "write the figures as JSON (coverage.json) to FILE")
	fs.StringVar(&o.merged, "merged", "", "write the profile merged by block (one line per block) to FILE")
	fs.StringVar(&o.doc, "doc", "", "rewrite the figures between the markers of FILE (docs/COVERAGE.md)")
	fs.Float64Var(&o.floor, "floor", 80, "the least percentage of system/'s statements the tests must cover")
	fs.StringVar(&o.commit, "commit", "", "the commit measured (default: git rev-parse HEAD)")
	fs.StringVar(&o.binary, "binary", "./system/cmd/mimo", "the Mimo binary's package: system/ packages it does not link are test kits, not counted")
	fs.StringVar(&o.root, "root", ".", "the module root, where go list and git run")
	fs.BoolVar(&o.check, "check", true, "exit 1 when system/ is under -floor")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.profile == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	r, profiles, err := measure(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "mimo-coverage: %v\n", err)
		return 2
	}
	if err := r.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "mimo-coverage: %v\n", err)
		return 2
	}
	if err := write(o, r, profiles); err != nil {
		fmt.Fprintf(stderr, "mimo-coverage: %v\n", err)
		return 2
	}
	if err := r.CheckFloor(); err != nil {
		if o.check {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stderr, "%v (not enforced: -check=false)\n", err)
		return 0
	}
	fmt.Fprintf(stdout, "coverage: system/ is %.1f%% covered, at or above the floor of %g%%\n", r.System.Percent(), r.Floor)
	return 0
}

// measure reads the profile and sorts its packages into a report.
func measure(ctx context.Context, o options) (coverage.Report, []*cover.Profile, error) {
	profiles, err := cover.ParseProfiles(o.profile)
	if err != nil {
		return coverage.Report{}, nil, err
	}
	module, err := coverage.ModulePath(ctx, o.root)
	if err != nil {
		return coverage.Report{}, nil, err
	}
	listed, err := coverage.List(ctx, o.root, "./system/...", "./harness/...")
	if err != nil {
		return coverage.Report{}, nil, err
	}
	generated, err := coverage.GeneratedFiles(listed)
	if err != nil {
		return coverage.Report{}, nil, err
	}
	pkgs, err := coverage.Measure(profiles, func(file string) bool { return generated[file] })
	if err != nil {
		return coverage.Report{}, nil, err
	}
	if err := coverage.CheckComplete(listed, pkgs, generated); err != nil {
		return coverage.Report{}, nil, err
	}
	bin, err := coverage.List(ctx, o.root, o.binary)
	if err != nil {
		return coverage.Report{}, nil, err
	}
	if len(bin) != 1 {
		return coverage.Report{}, nil, fmt.Errorf("-binary %s names %d packages, not one", o.binary, len(bin))
	}
	ships := map[string]bool{bin[0].ImportPath: true}
	for _, d := range bin[0].Deps {
		ships[d] = true
	}
	r, err := coverage.NewReport(module, o.floor, pkgs, ships)
	if err != nil {
		return coverage.Report{}, nil, err
	}
	r.Generated = time.Now()
	r.Commit = o.commit
	if r.Commit == "" {
		if r.Commit, err = headCommit(ctx, o.root); err != nil {
			return coverage.Report{}, nil, err
		}
	}
	return r, profiles, nil
}

// write writes the outputs the flags ask for.
func write(o options, r coverage.Report, profiles []*cover.Profile) error {
	if o.jsonPath != "" {
		if err := r.WriteJSON(o.jsonPath); err != nil {
			return err
		}
	}
	if o.merged != "" {
		var b bytes.Buffer
		if err := coverage.WriteProfile(&b, profiles); err != nil {
			return err
		}
		if err := os.WriteFile(o.merged, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if o.doc != "" {
		doc, err := os.ReadFile(o.doc)
		if err != nil {
			return err
		}
		out, err := coverage.RewriteDoc(doc, r.Markdown())
		if err != nil {
			return fmt.Errorf("%s: %w", o.doc, err)
		}
		if err := os.WriteFile(o.doc, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// headCommit is git's HEAD, with "-dirty" when the work tree has changes
// (the figures then describe code no commit holds).
func headCommit(ctx context.Context, root string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse HEAD: %w (pass -commit)", err)
	}
	commit := strings.TrimSpace(string(out))
	status, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return "", fmt.Errorf("git status: %w (pass -commit)", err)
	}
	if len(bytes.TrimSpace(status)) > 0 {
		commit += "-dirty"
	}
	return commit, nil
}
