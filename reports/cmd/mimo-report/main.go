// Command mimo-report writes the release sign-off from the suite's
// records, and the environment file make validate stamps around a run.
//
//	mimo-report [-results results] [-out reports/out] [-baseline DIR] [-root .]
//	mimo-report env begin|end [-o results/environment.json] [-commit REV]
//
// The first form reads the records in -results, the scenarios the
// source under -root expects, and writes index.html, junit.xml and
// records.json into -out; it prints the verdict and exits 0 whatever the
// verdict (make validate exits with the scenarios' own status), 1 when
// the report cannot be written, and 3 with -strict when not ready.
// -baseline names an earlier run's results folder, or an earlier
// report's output folder, to compare figures with.
//
// env begin writes the environment file with the run's start, the
// machine, Go, the commit and the IDs of the harness's images; env end
// adds the end time and reads the images again.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"mimo/reports"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "env" {
		os.Exit(envMain(os.Args[2:]))
	}
	os.Exit(reportMain(os.Args[1:]))
}

func reportMain(args []string) int {
	fl := flag.NewFlagSet("mimo-report", flag.ContinueOnError)
	results := fl.String("results", "results", "the results folder the scenarios wrote (MIMO_RESULTS_DIR)")
	out := fl.String("out", filepath.Join("reports", "out"), "folder to write index.html, junit.xml and records.json into")
	baseline := fl.String("baseline", "", "an earlier run's results folder, or an earlier report's output folder, to compare with")
	root := fl.String("root", ".", "the module root, whose scenarios/ tell which scenarios a run should record")
	strict := fl.Bool("strict", false, "exit 3 when the verdict is not ready")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	run, err := reports.Load(*results)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mimo-report:", err)
		return 1
	}
	expected, err := reports.Expected(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mimo-report: reading the scenarios' source:", err)
		return 1
	}
	var base *reports.Run
	if *baseline != "" {
		if base, err = reports.LoadBaseline(*baseline); err != nil {
			fmt.Fprintln(os.Stderr, "mimo-report: reading the baseline:", err)
			return 1
		}
	}
	rep := reports.Build(run, expected, base)
	if err := reports.Write(rep, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mimo-report:", err)
		return 1
	}
	fmt.Printf("%s\nreport: %s (junit.xml and records.json beside it)\n", rep.Why, filepath.Join(*out, reports.HTMLFile))
	if base != nil {
		fmt.Printf("baseline %s: %d of %d compared figures worse beyond noise\n", *baseline, len(rep.Regressions), rep.Compared)
	}
	if *strict && !rep.Ready {
		return 3
	}
	return 0
}

func envMain(args []string) int {
	if len(args) == 0 || (args[0] != "begin" && args[0] != "end") {
		fmt.Fprintln(os.Stderr, "usage: mimo-report env begin|end [-o FILE] [-commit REV]")
		return 2
	}
	fl := flag.NewFlagSet("mimo-report env", flag.ContinueOnError)
	path := fl.String("o", filepath.Join("results", reports.EnvironmentFile), "the environment file to write")
	commit := fl.String("commit", os.Getenv("MIMO_COMMIT"), "the commit under test")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	var e *reports.Environment
	if args[0] == "begin" {
		e = reports.Begin(ctx, *commit)
	} else {
		var err error
		if e, err = reports.ReadEnvironment(*path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(os.Stderr, "mimo-report: %s: no run began (env begin writes it)\n", *path)
			} else {
				fmt.Fprintln(os.Stderr, "mimo-report:", err)
			}
			return 1
		}
		e.End(ctx)
	}
	if err := os.MkdirAll(filepath.Dir(*path), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mimo-report:", err)
		return 1
	}
	if err := reports.WriteEnvironment(*path, e); err != nil {
		fmt.Fprintln(os.Stderr, "mimo-report:", err)
		return 1
	}
	return 0
}
