package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"mimo/harness/load"
)

// SearchOptions says how to load the server with searches.
type SearchOptions struct {
	// URL is the server's base URL. Required.
	URL string
	// Namespace is searched; "" means the server's default.
	Namespace string
	// Limit is results per search, 1..100; zero means 10.
	Limit int
	// Concurrency is the number of closed-loop clients: each sends its
	// next search as soon as the last is answered. Zero means 4.
	Concurrency int
	// Logger reports progress; nil discards.
	Logger *slog.Logger
}

func (o SearchOptions) withDefaults() SearchOptions {
	if o.Limit <= 0 {
		o.Limit = 10
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// SearchResult is what one search phase measured.
type SearchResult struct {
	Latency
	Concurrency int `json:"concurrency"`
	Limit       int `json:"limit"`
	// Modes counts answers by their "mode": anything but "hybrid" means the
	// server fell back (index not loaded, a part failing), which would make
	// the latency figures those of a different pipeline.
	Modes map[string]int64 `json:"modes"`
	// Results is the total number of results returned, to tell a fast
	// empty answer from a real one.
	Results int64 `json:"results"`
	// FirstError describes the first failure, if any.
	FirstError string `json:"first_error,omitempty"`

	// perQuery and perQueryResults are each query's latency and hits,
	// indexed like the queries (zero for a query that failed), for the
	// ratios, which time other searches over the same queries.
	perQuery        []time.Duration
	perQueryResults []int
}

// over returns the per-query latencies and the total hits of the first n
// queries.
func (s SearchResult) over(n int) ([]time.Duration, int64) {
	n = min(n, len(s.perQuery))
	var hits int64
	for _, r := range s.perQueryResults[:n] {
		hits += int64(r)
	}
	return s.perQuery[:n], hits
}

// searchBody is the body of POST /api/search.
type searchBody struct {
	Query     string `json:"query"`
	Namespace string `json:"namespace,omitempty"`
	Limit     int    `json:"limit"`
}

// searchAnswer is the part of a search answer the benchmark reads.
type searchAnswer struct {
	Mode    string            `json:"mode"`
	Results []json.RawMessage `json:"results"`
}

// search sends every query once, spread over the closed-loop clients (the
// runner's shared-iterations executor), and records each answered
// request's latency (from sending to the last byte of
// the answer). Any answer but 200, or none, is an error.
func search(ctx context.Context, o SearchOptions, queries []string) (SearchResult, error) {
	o = o.withDefaults()
	res := SearchResult{Concurrency: o.Concurrency, Limit: o.Limit, Modes: map[string]int64{},
		perQuery: make([]time.Duration, len(queries)), perQueryResults: make([]int, len(queries))}
	bodies := make([][]byte, len(queries))
	for i, q := range queries {
		b, err := json.Marshal(searchBody{Query: q, Namespace: o.Namespace, Limit: o.Limit})
		if err != nil {
			return res, err
		}
		bodies[i] = b
	}
	client := newClient(o.Concurrency)
	url := o.URL + "/api/search"

	var (
		done, failures atomic.Int64
		mu             sync.Mutex // guards firstErr and res.Modes and res.Results
		firstErr       string
		progressEvery  = int64(max(1, len(bodies)/4))
		reg            = load.NewRegistry()
		latency        = newLatencyTrend(reg, "search_duration")
	)
	noteErr := func(format string, args ...any) {
		failures.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if firstErr == "" {
			firstErr = fmt.Sprintf(format, args...)
		}
	}
	elapsed, err := runPhase(ctx, len(bodies), o.Concurrency, reg, func(ctx context.Context, it *load.Iteration) error {
		i := it.InTest
		t := time.Now()
		code, body, err := postJSON(ctx, client, url, bodies[i])
		elapsed := time.Since(t)
		if err != nil {
			noteErr("search %q: %v", queries[i], err)
			return nil
		}
		it.Record(latency, ms(elapsed), nil)
		res.perQuery[i] = elapsed
		if code != http.StatusOK {
			noteErr("search %q: status %d: %.300s", queries[i], code, body)
			return nil
		}
		var a searchAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			noteErr("search %q: answer is not a search page: %v", queries[i], err)
			return nil
		}
		res.perQueryResults[i] = len(a.Results)
		mu.Lock()
		res.Modes[a.Mode]++
		res.Results += int64(len(a.Results))
		mu.Unlock()
		if n := done.Add(1); n%progressEvery == 0 {
			o.Logger.Info("search", "done", n, "of", len(bodies))
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Latency = summarize(latency, failures.Load(), elapsed)
	res.FirstError = firstErr
	return res, nil
}
