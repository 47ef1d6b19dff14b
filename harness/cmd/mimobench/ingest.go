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
	mimo "mimo/system"
)

// IngestOptions says how to seed the server.
type IngestOptions struct {
	// URL is the server's base URL. Required.
	URL string
	// Namespace receives every memory; "" means the server's default.
	Namespace string
	// BatchSize is memories per POST /api/memories/batch, 1..mimo.MaxBatch;
	// zero means 500.
	BatchSize int
	// Concurrency is the number of clients posting batches at once; zero
	// means 4.
	Concurrency int
	// Logger reports progress; nil discards.
	Logger *slog.Logger
}

func (o IngestOptions) withDefaults() IngestOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	o.BatchSize = min(o.BatchSize, mimo.MaxBatch)
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// IngestResult is what seeding measured. PerSecond is memories sent per
// second of wall time, from the first batch sent to the last answered; the
// item outcomes say how many of them the server actually stored.
type IngestResult struct {
	Memories    int     `json:"memories"`
	Batches     int     `json:"batches"`
	BatchSize   int     `json:"batch_size"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"per_second"`
	Created     int64   `json:"created"`
	Existing    int64   `json:"existing"`
	Queued      int64   `json:"queued"`
	Failed      int64   `json:"failed"`
	// HTTPErrors counts batches not answered 200 (their items count as
	// failed too).
	HTTPErrors int64 `json:"http_errors"`
	// BatchLatency is the latency of whole batches.
	BatchLatency Latency `json:"batch_latency"`
	// FirstError describes the first failure, if any.
	FirstError string `json:"first_error,omitempty"`
}

// batchBody is the body of POST /api/memories/batch.
type batchBody struct {
	Namespace string              `json:"namespace,omitempty"`
	Memories  []mimo.StoreRequest `json:"memories"`
}

// batchAnswer is the part of the batch answer the benchmark reads.
type batchAnswer struct {
	Created  int64 `json:"created"`
	Existing int64 `json:"existing"`
	Queued   int64 `json:"queued"`
	Failed   int64 `json:"failed"`
	Results  []struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"results"`
}

// encodeBatches splits memories into batches and encodes each, so the
// timed phase spends the client's CPU on sending, not on JSON.
func encodeBatches(memories []mimo.StoreRequest, namespace string, size int) ([][]byte, error) {
	var out [][]byte
	for start := 0; start < len(memories); start += size {
		end := min(start+size, len(memories))
		b, err := json.Marshal(batchBody{Namespace: namespace, Memories: memories[start:end]})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// ingest seeds the server with memories through the batch API, a batch an
// iteration of the runner's shared-iterations executor, and measures the
// rate. Failed items are counted, not fatal; only a cancelled context
// stops it early.
func ingest(ctx context.Context, o IngestOptions, memories []mimo.StoreRequest) (IngestResult, error) {
	o = o.withDefaults()
	res := IngestResult{Memories: len(memories), BatchSize: o.BatchSize, Concurrency: o.Concurrency}
	bodies, err := encodeBatches(memories, o.Namespace, o.BatchSize)
	if err != nil {
		return res, err
	}
	res.Batches = len(bodies)
	client := newClient(o.Concurrency)
	url := o.URL + "/api/memories/batch"

	var (
		done                              atomic.Int64
		created, existing, queued, failed atomic.Int64
		httpErrors                        atomic.Int64
		mu                                sync.Mutex
		firstErr                          string
		progressEvery                     = max(1, len(bodies)/10)
		reg                               = load.NewRegistry()
		latency                           = newLatencyTrend(reg, "batch_duration")
		start                             = time.Now()
	)
	noteErr := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == "" {
			firstErr = fmt.Sprintf(format, args...)
		}
	}
	elapsed, err := runPhase(ctx, len(bodies), o.Concurrency, reg, func(ctx context.Context, it *load.Iteration) error {
		i := int(it.InTest)
		items := int64(batchItems(i, len(memories), o.BatchSize))
		t := time.Now()
		code, body, err := postJSON(ctx, client, url, bodies[i])
		it.Record(latency, ms(time.Since(t)), nil)
		switch {
		case err != nil:
			httpErrors.Add(1)
			failed.Add(items)
			noteErr("batch %d: %v", i, err)
		case code != http.StatusOK:
			httpErrors.Add(1)
			failed.Add(items)
			noteErr("batch %d: status %d: %.300s", i, code, body)
		default:
			var a batchAnswer
			if err := json.Unmarshal(body, &a); err != nil {
				httpErrors.Add(1)
				failed.Add(items)
				noteErr("batch %d: answer is not a batch result: %v", i, err)
				break
			}
			created.Add(a.Created)
			existing.Add(a.Existing)
			queued.Add(a.Queued)
			failed.Add(a.Failed)
			for _, r := range a.Results {
				if r.Error != nil {
					noteErr("batch %d: item failed: %s: %s", i, r.Error.Code, r.Error.Message)
					break
				}
			}
		}
		if n := done.Add(1); n%int64(progressEvery) == 0 {
			o.Logger.Info("ingest", "batches", n, "of", len(bodies), "memories_per_second",
				round(float64(n)*float64(o.BatchSize)/time.Since(start).Seconds(), 0))
		}
		return nil
	})
	if err != nil {
		return res, err
	}

	res.Seconds = round(elapsed.Seconds(), 3)
	if elapsed > 0 {
		res.PerSecond = round(float64(len(memories))/elapsed.Seconds(), 1)
	}
	res.Created, res.Existing, res.Queued, res.Failed = created.Load(), existing.Load(), queued.Load(), failed.Load()
	res.HTTPErrors = httpErrors.Load()
	res.BatchLatency = summarize(latency, res.HTTPErrors, elapsed)
	res.FirstError = firstErr
	return res, nil
}

// batchItems is the number of memories in batch i of total split by size.
func batchItems(i, total, size int) int {
	return min(size, total-i*size)
}
