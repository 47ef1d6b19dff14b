// Command mimo-load runs k6 scripts unchanged: `mimo-load run [flags] SCRIPT` takes k6's
// flags, runs the script's scenarios with one JavaScript runtime per VU, prints k6's
// end-of-test summary and exits as k6 does — 0 when every threshold holds, 99 when one is
// crossed, 104 on invalid options, 105 when interrupted, 107 on a script error (its
// message names file:line:column), 108 when the script aborts the test.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mimo/harness/load"
	_ "mimo/xk6-mimo" // k6/x/mimo, as xk6 builds an extension into k6

	"golang.org/x/sys/unix"
)

const usage = `Usage: mimo-load run [flags] SCRIPT

Runs a k6 script (k6/http, k6, k6/metrics, registered k6/x extensions) the way
'k6 run' does: options from the script, then --config, then these flags; the
end-of-test summary on stdout; logs and script errors on stderr.

Exit status: 0 thresholds held, 99 a threshold was crossed, 104 invalid
options, 105 interrupted, 107 script error, 108 the script called
exec.test.abort(), 2 bad usage.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C the run winds down gracefully; a second one kills it.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// run is the command with its arguments and streams; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("mimo-load run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var (
		vus, iterations   int64
		duration, config  string
		summaryExport     string
		env, outs         multi
		tags, stages      multi
		trendStats        string
		quiet, noColor    bool
		noSummary, sysEnv bool
		noThresholds      bool
	)
	for _, name := range []string{"vus", "u"} {
		fs.Int64Var(&vus, name, 0, "number of VUs to run (overrides the script's vus)")
	}
	for _, name := range []string{"duration", "d"} {
		fs.StringVar(&duration, name, "", "test duration, e.g. 30s or 5m (overrides the script's duration and scenarios)")
	}
	for _, name := range []string{"iterations", "i"} {
		fs.Int64Var(&iterations, name, 0, "total iterations shared by the VUs (overrides the script's scenarios)")
	}
	for _, name := range []string{"env", "e"} {
		fs.Var(&env, name, "KEY=VALUE added to __ENV (repeatable)")
	}
	for _, name := range []string{"out", "o"} {
		fs.Var(&outs, name, "json=FILE: write every sample to FILE as k6's JSON output (repeatable)")
	}
	for _, name := range []string{"config", "c"} {
		fs.StringVar(&config, name, "", "JSON file of options, below the script's own")
	}
	for _, name := range []string{"quiet", "q"} {
		fs.BoolVar(&quiet, name, false, "no banner and no progress line")
	}
	fs.StringVar(&summaryExport, "summary-export", "", "write the end-of-test summary to FILE as JSON (k6's shape)")
	fs.BoolVar(&noColor, "no-color", false, "no colours in the summary")
	fs.BoolVar(&noSummary, "no-summary", false, "do not print the end-of-test summary")
	fs.BoolVar(&noThresholds, "no-thresholds", false, "do not evaluate thresholds")
	fs.BoolVar(&sysEnv, "include-system-env-vars", true, "start __ENV from the process environment")
	fs.Var(&tags, "tag", "NAME=VALUE added to every sample's tags (repeatable)")
	for _, name := range []string{"stage", "s"} {
		fs.Var(&stages, name, "DURATION:TARGET, a ramping-vus stage (repeatable; overrides the script's scenarios)")
	}
	fs.StringVar(&trendStats, "summary-trend-stats", "", "the trend aggregates the summary shows, e.g. avg,p(95),p(99)")

	// Flags may come before and after the script, as with k6.
	rest := args[1:]
	var positional []string
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fmt.Fprintln(stderr, "mimo-load run: expected exactly one SCRIPT")
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	cfg := load.Config{Env: map[string]string{}, Log: stderr}
	if sysEnv {
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			cfg.Env[k] = v
		}
	}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "mimo-load run: -e %q: expected KEY=VALUE\n", kv)
			return 2
		}
		cfg.Env[k] = v
	}
	if config != "" {
		b, err := os.ReadFile(config)
		if err == nil {
			cfg.Base, err = load.ParseOptions(b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "mimo-load run: --config: %v\n", err)
			return load.ExitInvalidConfig
		}
	}
	if set["vus"] || set["u"] {
		cfg.Over.VUs = &vus
	}
	if set["iterations"] || set["i"] {
		cfg.Over.Iterations = &iterations
	}
	if duration != "" {
		d, err := load.ParseDuration(duration)
		if err != nil {
			fmt.Fprintf(stderr, "mimo-load run: --duration: %v\n", err)
			return load.ExitInvalidConfig
		}
		ld := load.Duration(d)
		cfg.Over.Duration = &ld
	}
	for _, kv := range tags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "mimo-load run: --tag %q: expected NAME=VALUE\n", kv)
			return 2
		}
		if cfg.Over.Tags == nil {
			cfg.Over.Tags = map[string]string{}
		}
		cfg.Over.Tags[k] = v
	}
	for _, st := range stages {
		d, target, ok := strings.Cut(st, ":")
		pd, err := load.ParseDuration(d)
		n, err2 := strconv.ParseInt(target, 10, 64)
		if !ok || err != nil || err2 != nil {
			fmt.Fprintf(stderr, "mimo-load run: --stage %q: expected DURATION:TARGET, e.g. 30s:10\n", st)
			return load.ExitInvalidConfig
		}
		cfg.Over.Stages = append(cfg.Over.Stages, load.Stage{Duration: load.Duration(pd), Target: n})
	}
	if trendStats != "" {
		for _, s := range strings.Split(trendStats, ",") {
			cfg.Over.SummaryTrendStats = append(cfg.Over.SummaryTrendStats, strings.TrimSpace(s))
		}
	}
	if noThresholds {
		cfg.Over.Thresholds = map[string][]load.ThresholdSpec{}
	}
	var closers []func() error
	for _, o := range outs {
		kind, file, _ := strings.Cut(o, "=")
		if kind != "json" || file == "" {
			fmt.Fprintf(stderr, "mimo-load run: --out %q: this runner writes json=FILE\n", o)
			return load.ExitInvalidConfig
		}
		f, err := os.Create(file)
		if err != nil {
			fmt.Fprintf(stderr, "mimo-load run: --out: %v\n", err)
			return load.ExitInvalidConfig
		}
		jo := load.NewJSONOutput(f)
		cfg.Outputs = append(cfg.Outputs, jo)
		closers = append(closers, jo.Close)
	}
	stdoutTTY, stderrTTY := isTerminal(stdout), isTerminal(stderr)
	color := !noColor && stdoutTTY
	var prog *progress
	if !quiet && stderrTTY {
		prog = &progress{w: stderr}
		cfg.Progress = prog.update
	}

	script, err := load.LoadScript(positional[0])
	if err != nil {
		return fail(stderr, err)
	}
	if !quiet {
		cfg.Start = func(scs []*load.Scenario) { banner(stdout, positional[0], outs, scs) }
	}
	res, err := load.Execute(ctx, script, cfg)
	prog.clear()
	for _, c := range closers {
		if cerr := c(); cerr != nil {
			fmt.Fprintf(stderr, "mimo-load run: --out: %v\n", cerr)
		}
	}
	if err != nil {
		return fail(stderr, err)
	}
	so := load.SummaryOptions{NoColor: !color}
	if !noSummary {
		if err := load.WriteSummary(stdout, res, so); err != nil {
			fmt.Fprintf(stderr, "mimo-load run: %v\n", err)
		}
		fmt.Fprintf(stdout, "running (%s), %d complete and %d interrupted iterations\n",
			fmtElapsed(res.Duration), res.Completed, res.InterruptedIterations)
	}
	if summaryExport != "" {
		if err := writeExport(summaryExport, res, load.ExportState{IsStdOutTTY: stdoutTTY, IsStdErrTTY: stderrTTY}, so); err != nil {
			fmt.Fprintf(stderr, "mimo-load run: --summary-export: %v\n", err)
		}
	}
	code := res.ExitCode()
	switch {
	case res.ScriptAborted:
		fmt.Fprintln(stderr, "level=error msg=\"test run aborted by the script\"")
	case res.Aborted:
		fmt.Fprintln(stderr, "level=error msg=\"test run aborted by a failed threshold (abortOnFail)\"")
	case code == load.ExitThresholdsFailed:
		fmt.Fprintln(stderr, "level=error msg=\"thresholds have been crossed\"")
	case code == load.ExitInterrupted:
		fmt.Fprintln(stderr, "level=error msg=\"test run interrupted\"")
	}
	return code
}

func writeExport(path string, res *load.Result, st load.ExportState, so load.SummaryOptions) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := load.WriteSummaryExport(f, res, st, so); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fail prints a run that could not start and returns k6's exit status for it.
func fail(stderr io.Writer, err error) int {
	var se *load.ScriptError
	var ce *load.ConfigError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "level=error msg=%q\n", se.Error())
		return load.ExitScriptError
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "level=error msg=%q\n", ce.Error())
		return load.ExitInvalidConfig
	}
	fmt.Fprintf(stderr, "level=error msg=%q\n", err.Error())
	return load.ExitScriptError
}

// isTerminal says whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func fmtElapsed(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	return fmt.Sprintf("%02dm%04.1fs", int(d.Minutes()), (d % time.Minute).Seconds())
}

// progress is the live progress line on a terminal, rewritten in place.
type progress struct {
	w io.Writer
}

func (p *progress) update(pr load.Progress) {
	fmt.Fprintf(p.w, "\r\x1b[Krunning (%s), %d/%d VUs, %d complete and %d interrupted iterations",
		fmtElapsed(pr.Elapsed), pr.ActiveVUs, pr.MaxVUs, pr.Completed, pr.Interrupted)
}

func (p *progress) clear() {
	if p != nil {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// banner prints what is about to run, as k6 does at start-up.
func banner(w io.Writer, script string, outs []string, scs []*load.Scenario) {
	output := "-"
	if len(outs) > 0 {
		output = strings.Join(outs, ", ")
	}
	var maxVUs int64
	var longest time.Duration
	for _, s := range scs {
		maxVUs += s.PeakVUs()
		longest = max(longest, s.Longest())
	}
	plural := "s"
	if len(scs) == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "\n  mimo-load (k6-compatible runner)\n\n")
	fmt.Fprintf(w, "     execution: local\n        script: %s\n        output: %s\n\n", script, output)
	fmt.Fprintf(w, "     scenarios: (100.00%%) %d scenario%s, %d max VUs, %s max duration (incl. graceful stop):\n",
		len(scs), plural, maxVUs, longest)
	for _, s := range scs {
		fmt.Fprintf(w, "              * %s: %s\n", s.Name, s.Describe())
	}
	fmt.Fprintln(w)
}
