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

	"github.com/HdrHistogram/hdrhistogram-go"
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

// search sends every query once, spread over the closed-loop clients, and
// records each answered request's latency (from sending to the last byte of
// the answer). Any answer but 200, or none, is an error.
func search(ctx context.Context, o SearchOptions, queries []string) (SearchResult, error) {
	o = o.withDefaults()
	res := SearchResult{Concurrency: o.Concurrency, Limit: o.Limit, Modes: map[string]int64{}}
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

	type worker struct {
		hist    *hdrhistogram.Histogram
		modes   map[string]int64
		results int64
	}
	var (
		next, done, failures atomic.Int64
		mu                   sync.Mutex
		firstErr             string
		workers              = make([]*worker, o.Concurrency)
		wg                   sync.WaitGroup
		progressEvery        = int64(max(1, len(bodies)/4))
	)
	noteErr := func(format string, args ...any) {
		failures.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if firstErr == "" {
			firstErr = fmt.Sprintf(format, args...)
		}
	}
	start := time.Now()
	for w := range workers {
		wk := &worker{hist: newHistogram(), modes: map[string]int64{}}
		workers[w] = wk
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				t := time.Now()
				code, body, err := postJSON(ctx, client, url, bodies[i])
				elapsed := time.Since(t)
				if err != nil {
					noteErr("search %q: %v", queries[i], err)
					continue
				}
				recordLatency(wk.hist, elapsed)
				if code != http.StatusOK {
					noteErr("search %q: status %d: %.300s", queries[i], code, body)
					continue
				}
				var a searchAnswer
				if err := json.Unmarshal(body, &a); err != nil {
					noteErr("search %q: answer is not a search page: %v", queries[i], err)
					continue
				}
				wk.modes[a.Mode]++
				wk.results += int64(len(a.Results))
				if n := done.Add(1); n%progressEvery == 0 {
					o.Logger.Info("search", "done", n, "of", len(bodies))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	all := newHistogram()
	for _, wk := range workers {
		all.Merge(wk.hist)
		for m, n := range wk.modes {
			res.Modes[m] += n
		}
		res.Results += wk.results
	}
	res.Latency = summarize(all, failures.Load(), elapsed)
	res.FirstError = firstErr
	return res, nil
}
