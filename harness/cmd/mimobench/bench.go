package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	mimo "mimo/system"
)

// Options is one benchmark run. The zero value is a valid run: it builds
// mimo from the module it is run in and benchmarks SQLite with the
// defaults below.
type Options struct {
	// Mimo is the mimo binary; "" builds mimo/system/cmd/mimo with `go
	// build` (which must then run inside the module).
	Mimo string
	// DatabaseURL selects Postgres; that database must hold no memories.
	// "" means SQLite in a fresh temporary data directory.
	DatabaseURL string
	// Embedder is Mimo's embedder: "" or "builtin" its own; "ollama" or
	// "openai" that provider's protocol, served by the harness's stand-in
	// in this process over local HTTP (768-dimensional vectors).
	Embedder string
	// Memories is how many to seed; zero means 10,000.
	Memories int
	// BatchSize is memories per batch request; zero means 500.
	BatchSize int
	// IngestConcurrency is clients seeding at once; zero means 4.
	IngestConcurrency int
	// Searches is searches per search phase; zero means 2,000.
	Searches int
	// SearchConcurrency is closed-loop search clients; zero means 4.
	SearchConcurrency int
	// SearchLimit is results per search; zero means 10.
	SearchLimit int
	// Seed chooses the synthetic corpus and queries.
	Seed uint64
	// Namespace holds the seeded memories; "" means "default".
	Namespace string
	// WorkDir holds the data directory, the built binary and the server's
	// log; "" means a new temporary directory, removed afterwards unless
	// KeepWorkDir.
	WorkDir     string
	KeepWorkDir bool
	// StartTimeout bounds each start of the server until its index is
	// loaded; zero means 5 minutes.
	StartTimeout time.Duration
	// AskDuration is the length of each of the two wrk runs against POST
	// /api/ask after the searches (closed loop, then with AskThinkMs of
	// think time), 100 connections, with the harness's stand-in as the LLM;
	// zero means no ask runs. They need wrk.
	AskDuration time.Duration
	// Wrk is the wrk executable; "" means "wrk" on PATH.
	Wrk string
	// Ratios times, on SQLite with the built-in embedder, the plain FTS5
	// query and an exact vector scan over the same queries as Mimo's
	// search (see Ratios), between the search phase and the restart.
	Ratios bool
	// RatioSearches is how many of the queries the ratios use (the
	// first ones); zero means DefaultRatioSearches, at most Searches.
	RatioSearches int
	// Logger reports progress; nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Memories <= 0 {
		o.Memories = 10_000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.IngestConcurrency <= 0 {
		o.IngestConcurrency = 4
	}
	if o.Searches <= 0 {
		o.Searches = 2_000
	}
	if o.SearchConcurrency <= 0 {
		o.SearchConcurrency = 4
	}
	if o.SearchLimit <= 0 {
		o.SearchLimit = mimo.DefaultSearchLimit
	}
	if o.Namespace == "" {
		o.Namespace = mimo.DefaultNamespace
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 5 * time.Minute
	}
	if o.RatioSearches <= 0 {
		o.RatioSearches = DefaultRatioSearches
	}
	o.RatioSearches = min(o.RatioSearches, o.Searches)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// askThinkMs is the think time of the second ask run, as the promise
// states it (SPEC, "Numbers the project promises").
const askThinkMs = 100

// stopTimeout is how long the server gets to stop on SIGTERM; its own
// shutdown grace is 10 s.
const stopTimeout = 30 * time.Second

// runner is the state of one benchmark run.
type runner struct {
	o      Options
	embed  *embedService // nil with the built-in embedder
	llm    *llmService   // nil without ask runs
	script string        // wrk's script for the ask runs
	log    *slog.Logger
	client *http.Client
	srvLog io.Writer
	dir    string
	report *Report
}

// Run benchmarks mimo as Options say. It returns the report so far even
// when it fails, so a run that breaks half-way still shows what it measured.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	r := &runner{o: o, log: o.Logger, client: newClient(2), report: newReport(o)}
	// cleanup also undoes a prepare that failed half-way.
	defer r.cleanup()
	if err := r.prepare(); err != nil {
		return r.report, err
	}
	err := r.phases(ctx)
	r.report.LoadAfter = readLoadAverage()
	r.report.evaluate()
	return r.report, err
}

// prepare makes the work directory, the server log and the binary.
func (r *runner) prepare() error {
	r.dir = r.o.WorkDir
	if r.dir == "" {
		d, err := os.MkdirTemp("", "mimobench-")
		if err != nil {
			return err
		}
		r.dir = d
	} else if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return err
	}
	logPath := filepath.Join(r.dir, "server.log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	r.srvLog = f
	r.report.ServerLog = logPath

	bin := r.o.Mimo
	if bin == "" {
		bin = filepath.Join(r.dir, "mimo")
		r.log.Info("building mimo", "output", bin)
		cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "mimo/system/cmd/mimo")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building mimo (run inside the module, or pass --mimo): %v\n%s", err, out)
		}
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	r.o.Mimo = abs
	r.report.describeBinary(abs)
	if r.o.Embedder != "" && r.o.Embedder != embedderBuiltin {
		if r.embed, err = startEmbedService(r.o.Embedder); err != nil {
			return err
		}
	}
	if r.o.AskDuration > 0 {
		if r.o.Wrk, err = checkWrk(r.o.Wrk); err != nil {
			return err
		}
		if r.script, err = writeAskScript(r.dir); err != nil {
			return err
		}
		if r.llm, err = startLLMService(); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) cleanup() {
	if r.embed != nil {
		r.report.EmbedCalls = r.embed.embedCalls()
		r.embed.close()
	}
	if r.llm != nil {
		r.llm.close()
	}
	if c, ok := r.srvLog.(io.Closer); ok {
		_ = c.Close()
	}
	if r.o.WorkDir == "" && !r.o.KeepWorkDir {
		_ = os.RemoveAll(r.dir)
		r.report.ServerLog = ""
	}
}

func (r *runner) start(ctx context.Context) (*Server, error) {
	return startServer(ctx, ServerOptions{
		Binary:      r.o.Mimo,
		DataDir:     filepath.Join(r.dir, "data"),
		DatabaseURL: r.o.DatabaseURL,
		Env:         r.embedEnv(),
		Log:         r.srvLog,
		Logger:      r.log,
	})
}

// embedEnv is the settings that point Mimo at the stand-ins, if any.
func (r *runner) embedEnv() []string {
	var env []string
	if r.embed != nil {
		env = append(env, r.embed.env...)
	}
	if r.llm != nil {
		env = append(env, r.llm.env...)
	}
	return env
}

// memory samples the server's resident memory into *into.
func (r *runner) memory(s *Server, when string, into *ProcMemory) error {
	m, err := readProcMemory(s.PID())
	if err != nil {
		return fmt.Errorf("reading the server's memory %s: %w", when, err)
	}
	*into = m
	r.log.Info("resident memory", "when", when, "rss_mb", m.RSSMB, "peak_mb", m.PeakMB)
	return nil
}

// phases runs the benchmark proper: fresh start, ingest, search, restart,
// search again.
func (r *runner) phases(ctx context.Context) (err error) {
	rep := r.report
	corpus := NewCorpus(r.o.Seed)
	r.log.Info("generating corpus", "memories", r.o.Memories, "queries", r.o.Searches, "seed", r.o.Seed)
	memories := corpus.Memories(r.o.Memories)
	queries := corpus.Queries(r.o.Searches)
	rep.Corpus = describeCorpus(memories)

	// 1. A fresh server on an empty store.
	srv, err := r.start(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if srv != nil {
			err = errors.Join(err, srv.Stop(stopTimeout))
		}
	}()
	if rep.StartupEmpty, err = measureStartup(ctx, r.client, srv, r.o.StartTimeout); err != nil {
		return err
	}
	rep.MimoVersion = rep.StartupEmpty.Version
	if n := rep.StartupEmpty.Memories; n != 0 {
		return fmt.Errorf("the database already holds %d memories; the benchmark needs an empty one", n)
	}

	// 2. Ingest.
	r.log.Info("ingest", "memories", len(memories), "batch_size", r.o.BatchSize, "concurrency", r.o.IngestConcurrency)
	rep.Ingest, err = ingest(ctx, IngestOptions{
		URL: srv.URL, Namespace: r.o.Namespace, BatchSize: r.o.BatchSize,
		Concurrency: r.o.IngestConcurrency, Logger: r.log,
	}, memories)
	if err != nil {
		return err
	}
	r.log.Info("ingested", "memories_per_second", rep.Ingest.PerSecond, "created", rep.Ingest.Created, "failed", rep.Ingest.Failed)
	if err := r.memory(srv, "after ingest", &rep.Memory.AfterIngest); err != nil {
		return err
	}

	// 3. Search, once the index has every memory.
	wctx, cancel := context.WithTimeout(ctx, r.o.StartTimeout)
	h, err := waitIndexLoaded(wctx, r.client, srv)
	cancel()
	if err != nil {
		return err
	}
	rep.StoredMemories = h.Memories
	so := SearchOptions{URL: srv.URL, Namespace: r.o.Namespace, Limit: r.o.SearchLimit, Concurrency: r.o.SearchConcurrency, Logger: r.log}
	r.log.Info("search", "searches", len(queries), "concurrency", so.Concurrency)
	if rep.Search, err = search(ctx, so, queries); err != nil {
		return err
	}
	r.log.Info("searched", "p50_ms", rep.Search.P50Ms, "p99_ms", rep.Search.P99Ms, "errors", rep.Search.Errors)
	if err := r.memory(srv, "after search", &rep.Memory.AfterSearch); err != nil {
		return err
	}

	// 4. Restart on the same data and time it.
	t := time.Now()
	stopErr := srv.Stop(stopTimeout)
	srv = nil
	rep.StopMs = round(float64(time.Since(t).Microseconds())/1000, 3)
	if stopErr != nil {
		return stopErr
	}
	if r.o.Ratios {
		if err := r.ratios(ctx, queries); err != nil {
			return err
		}
	}
	r.log.Info("restarting on the same data")
	if srv, err = r.start(ctx); err != nil {
		return err
	}
	if rep.Startup, err = measureStartup(ctx, r.client, srv, r.o.StartTimeout); err != nil {
		return err
	}
	r.log.Info("restarted", "ready_ms", rep.Startup.ReadyMs, "index_loaded_ms", rep.Startup.IndexLoadedMs)
	if err := r.memory(srv, "after restart and index load", &rep.Memory.AfterLoad); err != nil {
		return err
	}

	// 5. The search phase again, to see memory stay flat under it.
	so.URL = srv.URL
	if rep.SearchRepeat, err = search(ctx, so, queries); err != nil {
		return err
	}
	r.log.Info("searched again", "p50_ms", rep.SearchRepeat.P50Ms, "p99_ms", rep.SearchRepeat.P99Ms, "errors", rep.SearchRepeat.Errors)
	if err := r.memory(srv, "after the repeated search", &rep.Memory.AfterRepeatSearch); err != nil {
		return err
	}

	// 6. /api/ask under wrk: closed loop, then with think time.
	if r.o.AskDuration > 0 {
		return r.ask(ctx, srv)
	}
	return nil
}

// ratios times the baselines against the first search phase's figures,
// with the server stopped so that they have the machine to themselves as
// it had.
func (r *runner) ratios(ctx context.Context, queries []string) error {
	qs := queries[:r.o.RatioSearches]
	lat, hits := r.report.Search.over(len(qs))
	r.log.Info("ratios: full-text query and exact vector scan", "queries", len(qs), "concurrency", r.o.SearchConcurrency)
	rat, err := measureRatios(ctx, RatioOptions{
		DBPath: filepath.Join(r.dir, "data", sqliteFile), Namespace: r.o.Namespace,
		Limit: r.o.SearchLimit, Concurrency: r.o.SearchConcurrency,
	}, qs, lat, hits, time.Duration(r.report.Search.Seconds*float64(time.Second)))
	if err != nil {
		return err
	}
	r.report.Ratios = rat
	r.log.Info("ratios", "mimo_p50_ms", rat.Mimo.P50Ms, "fts5_p50_ms", rat.FTS.P50Ms, "vector_scan_p50_ms", rat.VectorScan.P50Ms)
	return nil
}

// sqliteFile is the database file in Mimo's data directory.
const sqliteFile = "mimo.db"

// ask runs wrk twice against srv's POST /api/ask.
func (r *runner) ask(ctx context.Context, srv *Server) error {
	o := AskOptions{URL: srv.URL, Wrk: r.o.Wrk, Script: r.script, Duration: r.o.AskDuration}
	for _, think := range []int{0, askThinkMs} {
		o.ThinkMs = think
		r.log.Info("ask", "connections", 100, "think_ms", think, "duration", r.o.AskDuration)
		res, err := runAsk(ctx, o)
		if err != nil {
			return err
		}
		r.log.Info("asked", "think_ms", think, "per_second", res.PerSecond, "p50_ms", res.P50Ms, "p99_ms", res.P99Ms, "non_2xx", res.Non2xx)
		if think == 0 {
			r.report.AskClosed = &res
		} else {
			r.report.AskThink = &res
		}
	}
	return nil
}
