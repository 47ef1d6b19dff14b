// Command mimobench measures Mimo's speed and memory the way a user sees
// them: it starts the real `mimo serve` binary, seeds it through the batch
// API with a deterministic synthetic corpus, loads it with closed-loop
// searches, restarts it on the same data, and reports ingest rate, search
// latency percentiles, start-up times and resident memory. It talks to Mimo
// only over HTTP and through the process it starts.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: mimobench [flags]

Benchmarks Mimo end to end: builds (or takes --mimo) the mimo binary, starts
'mimo serve' on a fresh data directory (or --database-url, which must be an
empty Postgres database), seeds --memories through POST /api/memories/batch,
runs --searches through POST /api/search with closed-loop clients, restarts
the server on the same data and times it, and samples resident memory
(VmRSS) along the way. Prints a table; --json writes every figure.

With --ask-duration it then loads POST /api/ask with wrk (closed loop, and
with 100 ms think time; the harness's stand-in is the LLM), and with
--ratios it times the plain FTS5 query and an exact vector scan over the
same queries on the same SQLite file.

'mimobench table REPORT.json...' prints the promised figures of several runs
side by side and rewrites their block in docs/BENCHMARKS.md (--doc).

Progress goes to stderr; the table to stdout. Exit status 1 when the run
fails (a phase could not complete), not when a target is missed.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it parses args, runs the benchmark and
// writes its outputs, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "table" {
		return runTable(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("mimobench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The flag package calls Usage on every parse error; the full text is
	// printed only when asked for, on stdout, like mimo's own --help.
	fs.Usage = func() {}
	var o Options
	var jsonPath string
	var quiet bool
	fs.StringVar(&o.Mimo, "mimo", "", "mimo binary to run (default: build mimo/system/cmd/mimo from the current module)")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "benchmark Postgres at this `URL` (an empty database) instead of SQLite")
	fs.StringVar(&o.Embedder, "embedder", embedderBuiltin, "Mimo's embedder: builtin, or ollama or openai served by the harness's provider stand-in in this process")
	fs.IntVar(&o.Memories, "memories", 10_000, "memories to seed")
	fs.IntVar(&o.BatchSize, "batch-size", 500, "memories per batch request (at most 1000)")
	fs.IntVar(&o.IngestConcurrency, "ingest-concurrency", 4, "clients seeding at once")
	fs.IntVar(&o.Searches, "searches", 2_000, "searches per search phase")
	fs.IntVar(&o.SearchConcurrency, "search-concurrency", 4, "closed-loop search clients")
	fs.IntVar(&o.SearchLimit, "search-limit", 10, "results per search (1..100)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the synthetic corpus and queries")
	fs.StringVar(&o.Namespace, "namespace", "default", "namespace to seed and search")
	fs.StringVar(&o.WorkDir, "work-dir", "", "directory for the data, built binary and server log (default: a temporary one, removed)")
	fs.BoolVar(&o.KeepWorkDir, "keep", false, "keep the temporary work directory (data and server log)")
	fs.DurationVar(&o.StartTimeout, "start-timeout", 0, "how long a start may take until the index is loaded (default 5m)")
	fs.DurationVar(&o.AskDuration, "ask-duration", 0, "run wrk against POST /api/ask for this long, closed loop and with 100 ms think time, 100 connections (0: no ask runs; needs wrk)")
	fs.StringVar(&o.Wrk, "wrk", "wrk", "the wrk executable for the ask runs")
	fs.BoolVar(&o.Ratios, "ratios", false, "time the plain FTS5 query and an exact vector scan over the same queries (SQLite, built-in embedder)")
	fs.IntVar(&o.RatioSearches, "ratio-searches", DefaultRatioSearches, "queries the ratios use (the first of --searches)")
	fs.StringVar(&jsonPath, "json", "", "write the report as JSON to `FILE`")
	fs.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintln(stderr, "run mimobench --help for usage")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mimobench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if msg := validate(o); msg != "" {
		fmt.Fprintf(stderr, "mimobench: %s\n", msg)
		return 2
	}
	if quiet {
		o.Logger = slog.New(slog.DiscardHandler)
	} else {
		o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}

	rep, err := Run(ctx, o)
	if rep != nil {
		rep.writeTable(stdout)
		if jsonPath != "" {
			if werr := writeJSON(jsonPath, rep); werr != nil {
				fmt.Fprintf(stderr, "mimobench: writing %s: %v\n", jsonPath, werr)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "mimobench: %v\n", err)
		return 1
	}
	return 0
}

// validate checks flag values that Options' defaults would otherwise
// silently replace: on the command line, 0 or -1 is a mistake.
func validate(o Options) string {
	switch {
	case o.Memories < 1:
		return "--memories must be at least 1"
	case o.BatchSize < 1 || o.BatchSize > 1000:
		return "--batch-size must be 1..1000"
	case o.IngestConcurrency < 1:
		return "--ingest-concurrency must be at least 1"
	case o.Searches < 1:
		return "--searches must be at least 1"
	case o.SearchConcurrency < 1:
		return "--search-concurrency must be at least 1"
	case o.SearchLimit < 1 || o.SearchLimit > 100:
		return "--search-limit must be 1..100"
	case o.Embedder != embedderBuiltin && o.Embedder != embedderOllama && o.Embedder != embedderOpenAI:
		return "--embedder must be builtin, ollama or openai"
	case o.AskDuration < 0:
		return "--ask-duration must not be negative"
	case o.Ratios && o.DatabaseURL != "":
		return "--ratios needs SQLite (they read its file), not --database-url"
	case o.Ratios && o.Embedder != embedderBuiltin:
		return "--ratios needs the built-in embedder (the scan embeds the queries)"
	case o.RatioSearches < 1:
		return "--ratio-searches must be at least 1"
	case o.StartTimeout < 0:
		return "--start-timeout must not be negative"
	}
	return ""
}

func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
