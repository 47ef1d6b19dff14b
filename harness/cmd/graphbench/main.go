// Command graphbench measures Mimo's knowledge-graph search the way a
// desktop MCP client sees it: it starts `mimo stdio` on a fresh data
// directory, creates --entities entities (with observations and relations)
// through create_entities and create_relations, then times --searches
// search_nodes calls over stdio and reports their latency percentiles next
// to the official MCP memory server's, measured on this kind of machine
// (p50 23 ms, p95 43 ms at 10,000 entities).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/harness/load"
)

// The official memory server's search_nodes at 10,000 entities over stdio
// on this kind of machine (SPEC), and the speed-up Mimo promises.
const (
	officialP50ms = 23.0
	officialP95ms = 43.0
	promisedRatio = 10.0
)

// batch is how many entities or relations one create call carries (the
// service's limit is 1,000).
const batch = 1000

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Report is what one run measured; --json writes it.
type Report struct {
	Queries   string  `json:"queries"`
	Entities  int     `json:"entities"`
	Relations int     `json:"relations"`
	Searches  int     `json:"searches"`
	SeedSecs  float64 `json:"seed_seconds"`
	P50ms     float64 `json:"p50_ms"`
	P95ms     float64 `json:"p95_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	MeanHits  float64 `json:"mean_entities_found"`
	Speedup50 float64 `json:"speedup_p50_vs_official"`
	Speedup95 float64 `json:"speedup_p95_vs_official"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graphbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("mimo", "", "mimo binary (default: build mimo/system/cmd/mimo)")
	entities := fs.Int("entities", 10_000, "entities to create")
	searches := fs.Int("searches", 1_000, "search_nodes calls to time")
	jsonPath := fs.String("json", "", "also write the report as JSON to `FILE`")
	queries := fs.String("queries", "mixed", "what to search for: words (from observations, many matches), names (one match each), or mixed (alternating)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *queries != "mixed" && *queries != "words" && *queries != "names" {
		fmt.Fprintln(stderr, "graphbench: --queries is words, names or mixed")
		return 2
	}
	if *entities < 2 || *searches < 1 {
		fmt.Fprintln(stderr, "graphbench: --entities must be at least 2 and --searches at least 1")
		return 2
	}
	rep, err := bench(ctx, *bin, *entities, *searches, *queries, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "graphbench: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "graphbench  search_nodes over stdio, %d entities, %d relations, %d searches of %s (seeded in %.1f s)\n",
		rep.Entities, rep.Relations, rep.Searches, rep.Queries, rep.SeedSecs)
	fmt.Fprintf(stdout, "mimo        p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms; %.1f entities found a search\n",
		rep.P50ms, rep.P95ms, rep.P99ms, rep.MaxMs, rep.MeanHits)
	fmt.Fprintf(stdout, "official    p50 %.0f ms, p95 %.0f ms → Mimo is %.1f× (p50) and %.1f× (p95) faster; promised ≥ %.0f×\n",
		officialP50ms, officialP95ms, rep.Speedup50, rep.Speedup95, promisedRatio)
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "graphbench: %v\n", err)
			return 1
		}
	}
	return 0
}

func bench(ctx context.Context, bin string, n, searches int, queries string, w io.Writer) (*Report, error) {
	// mimo's stderr is copied in by exec's own goroutine while the
	// benchmark writes its progress: both go through one lock.
	log := &lockedWriter{w: w}
	dir, err := os.MkdirTemp("", "graphbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "mimo")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "mimo/system/cmd/mimo").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building mimo: %v\n%s", err, out)
		}
	}
	cmd := exec.CommandContext(ctx, bin, "stdio")
	cmd.Env = append(os.Environ(), "MIMO_DATA_DIR="+filepath.Join(dir, "data"), "MIMO_LOG_LEVEL=warn")
	cmd.Stderr = log
	client := mcp.NewClient(&mcp.Implementation{Name: "graphbench", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		return nil, fmt.Errorf("starting mimo stdio: %w", err)
	}
	defer cs.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	began := time.Now()
	rels := 0
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		var es, rs []any
		for i := lo; i < hi; i++ {
			es = append(es, map[string]any{"name": name(i), "entityType": kinds[i%len(kinds)], "observations": observations(rng)})
			if i > 0 {
				rs = append(rs, map[string]any{"from": name(i), "to": name(rng.IntN(i)), "relationType": "depends_on"})
			}
		}
		if err := call(ctx, cs, "create_entities", map[string]any{"entities": es}, nil); err != nil {
			return nil, err
		}
		if err := call(ctx, cs, "create_relations", map[string]any{"relations": rs}, nil); err != nil {
			return nil, err
		}
		rels += len(rs)
	}
	rep := &Report{Queries: queries, Entities: n, Relations: rels, Searches: searches, SeedSecs: time.Since(began).Seconds()}
	fmt.Fprintf(log, "graphbench: seeded %d entities and %d relations in %.1f s\n", n, rels, rep.SeedSecs)

	// The searches are the runner's shared iterations on one VU: one desktop
	// client, each call sent when the last is answered.
	reg := load.NewRegistry()
	latency, err := reg.New("search_nodes_duration", load.Trend, load.Time)
	if err != nil {
		return nil, err
	}
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := 0
	maxDuration := load.Duration(7 * 24 * time.Hour) // the phase ends when its searches do
	scenario := &load.Scenario{Executor: load.SharedIterations, VUs: ptrTo(int64(1)), Iterations: ptrTo(int64(searches)), MaxDuration: &maxDuration}
	res, err := load.RunFuncs(ctx, load.FuncTest{
		Options:  load.Options{Scenarios: map[string]*load.Scenario{"search_nodes": scenario}},
		Registry: reg,
		Funcs: map[string]load.Func{"default": func(ctx context.Context, it *load.Iteration) error {
			// Half the queries are a word from the observations (many
			// matches, cut to the default limit), half an entity's name (one).
			q := words[rng.IntN(len(words))]
			if queries == "names" || (queries == "mixed" && it.InTest%2 == 1) {
				q = name(rng.IntN(n))
			}
			var g struct {
				Entities []json.RawMessage `json:"entities"`
			}
			t := time.Now()
			if err := call(ctx, cs, "search_nodes", map[string]any{"query": q}, &g); err != nil {
				firstErr = err // one VU: no other iteration runs beside this one
				cancel()
				return err
			}
			it.Record(latency, float64(time.Since(t))/float64(time.Millisecond), nil)
			found += len(g.Entities)
			return nil
		}},
	})
	if firstErr != nil {
		return nil, firstErr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	get := func(agg string) float64 { v, _ := latency.Value(agg, res.Duration); return v }
	rep.P50ms, rep.P95ms = get("med"), get("p(95)")
	rep.P99ms, rep.MaxMs = get("p(99)"), get("max")
	rep.MeanHits = float64(found) / float64(searches)
	rep.Speedup50, rep.Speedup95 = officialP50ms/rep.P50ms, officialP95ms/rep.P95ms
	return rep, nil
}

// call calls tool and decodes its structured output into out (if not nil).
func call(ctx context.Context, cs *mcp.ClientSession, tool string, args map[string]any, out any) error {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return fmt.Errorf("%s: %w", tool, err)
	}
	if res.IsError {
		return fmt.Errorf("%s: tool error: %v", tool, res.Content)
	}
	if out == nil {
		return nil
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func name(i int) string { return fmt.Sprintf("entity-%05d", i) }

var kinds = []string{"person", "project", "service", "team", "place", "document"}

var words = []string{
	"billing", "invoice", "deploy", "kubernetes", "postgres", "latency", "customer", "roadmap",
	"incident", "backup", "release", "quarterly", "migration", "oncall", "dashboard", "budget",
	"hiring", "security", "audit", "payments", "search", "index", "cache", "network",
}

// observations makes three short sentences from the vocabulary.
func observations(rng *rand.Rand) []string {
	out := make([]string, 3)
	for i := range out {
		out[i] = fmt.Sprintf("mentions %s and %s in the %s notes", words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))])
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
