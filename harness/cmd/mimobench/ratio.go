package main

import (
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the driver Mimo's SQLite store uses

	"mimo/harness/load"
	mimo "mimo/system"
	"mimo/system/embed"
)

// DefaultRatioSearches is how many of the search queries the baselines run
// when RatioOptions.Searches is zero: enough for a stable p50, few enough
// that the exact vector scan stays short at 1,000,000 memories.
const DefaultRatioSearches = 500

// Ratios put Mimo's search next to the two plain ways of answering the same
// queries from the same SQLite file: the full-text query alone, and an exact
// float32 scan of every stored vector. All three are timed over the same
// queries (the first Queries of the search phase's) with the same number
// of closed-loop clients. Mimo's figures are its answers over HTTP in the
// search phase; the baselines run in this process with no HTTP.
type Ratios struct {
	Queries     int `json:"queries"`
	Concurrency int `json:"concurrency"`
	Limit       int `json:"limit"`
	// Vectors is how many vectors the scan compares each query with, and
	// EmbeddingModel the built-in embedder's model that made them.
	Vectors        int    `json:"vectors"`
	EmbeddingModel string `json:"embedding_model"`

	Mimo       ExactLatency `json:"mimo"`
	FTS        ExactLatency `json:"fts5"`
	VectorScan ExactLatency `json:"vector_scan"`

	// MimoOverFTSP50 is Mimo's p50 divided by the full-text query's: how
	// many times longer Mimo's hybrid search takes. The others likewise.
	MimoOverFTSP50    float64 `json:"mimo_over_fts5_p50"`
	MimoOverFTSP99    float64 `json:"mimo_over_fts5_p99"`
	MimoOverVectorP50 float64 `json:"mimo_over_vector_scan_p50"`
	MimoOverVectorP99 float64 `json:"mimo_over_vector_scan_p99"`
}

// ExactLatency summarises per-query latencies exactly (sorted, nearest
// rank), in milliseconds. Results is the total hits returned, to tell a
// fast empty answer from a real one.
type ExactLatency struct {
	Requests  int     `json:"requests"`
	Results   int64   `json:"results"`
	PerSecond float64 `json:"per_second"`
	MeanMs    float64 `json:"mean_ms"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted;
// zero for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// exactLatency summarises ds, measured over a phase of elapsed.
func exactLatency(ds []time.Duration, results int64, elapsed time.Duration) ExactLatency {
	l := ExactLatency{Requests: len(ds), Results: results}
	if len(ds) == 0 {
		return l
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	l.MeanMs = round(ms(sum)/float64(len(s)), 3)
	l.P50Ms = round(ms(percentile(s, 50)), 3)
	l.P99Ms = round(ms(percentile(s, 99)), 3)
	if elapsed > 0 {
		l.PerSecond = round(float64(len(s))/elapsed.Seconds(), 1)
	}
	return l
}

// ratio is a/b rounded to two decimals, or 0 when either is unmeasured.
func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return round(a/b, 2)
}

// RatioOptions says how to run the baselines.
type RatioOptions struct {
	// DBPath is Mimo's SQLite database file. Required. It is opened read
	// only; Mimo may be running or stopped.
	DBPath string
	// Namespace's vectors are scanned; "" means "default". The full-text
	// query is the plain one, over every namespace.
	Namespace string
	// Limit is hits per query; zero means 10.
	Limit int
	// Concurrency is closed-loop clients; zero means 4.
	Concurrency int
}

func (o RatioOptions) withDefaults() RatioOptions {
	if o.Namespace == "" {
		o.Namespace = mimo.DefaultNamespace
	}
	if o.Limit <= 0 {
		o.Limit = 10
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	return o
}

// measureRatios times the baselines over queries and sets them against
// mimo, the per-query latencies (indexed like queries) of Mimo's search
// and mimoResults its total hits over them.
func measureRatios(ctx context.Context, o RatioOptions, queries []string, mimoLat []time.Duration, mimoResults int64, mimoElapsed time.Duration) (*Ratios, error) {
	o = o.withDefaults()
	if len(mimoLat) < len(queries) {
		return nil, fmt.Errorf("ratios: %d Mimo latencies for %d queries", len(mimoLat), len(queries))
	}
	db, err := openReadOnly(o.DBPath, o.Concurrency)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	r := &Ratios{Queries: len(queries), Concurrency: o.Concurrency, Limit: o.Limit}
	r.Mimo = exactLatency(mimoLat[:len(queries)], mimoResults, mimoElapsed)

	fts, err := newFTSBaseline(ctx, db, o.Limit)
	if err != nil {
		return nil, err
	}
	defer fts.close()
	if err := warmUp(ctx, queries, o.Concurrency, fts.search); err != nil {
		return nil, fmt.Errorf("ratios: full-text query: %w", err)
	}
	if r.FTS, err = timeQueries(ctx, queries, o.Concurrency, fts.search); err != nil {
		return nil, fmt.Errorf("ratios: full-text query: %w", err)
	}

	scan, err := loadVectorScan(ctx, db, o.Namespace, o.Limit)
	if err != nil {
		return nil, err
	}
	r.Vectors, r.EmbeddingModel = scan.n, scan.emb.Model()
	if err := warmUp(ctx, queries, o.Concurrency, scan.search); err != nil {
		return nil, fmt.Errorf("ratios: vector scan: %w", err)
	}
	if r.VectorScan, err = timeQueries(ctx, queries, o.Concurrency, scan.search); err != nil {
		return nil, fmt.Errorf("ratios: vector scan: %w", err)
	}

	r.MimoOverFTSP50 = ratio(r.Mimo.P50Ms, r.FTS.P50Ms)
	r.MimoOverFTSP99 = ratio(r.Mimo.P99Ms, r.FTS.P99Ms)
	r.MimoOverVectorP50 = ratio(r.Mimo.P50Ms, r.VectorScan.P50Ms)
	r.MimoOverVectorP99 = ratio(r.Mimo.P99Ms, r.VectorScan.P99Ms)
	return r, nil
}

// openReadOnly opens the SQLite file for reading with conns connections.
func openReadOnly(path string, conns int) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("ratios: opening %s: %w", path, err)
	}
	return db, nil
}

// timeQueries runs fn once per query on concurrency closed-loop clients
// (the same executor as the search phase) and summarises the latencies.
// fn returns the hits it found.
func timeQueries(ctx context.Context, queries []string, concurrency int, fn func(context.Context, string) (int, error)) (ExactLatency, error) {
	lat := make([]time.Duration, len(queries))
	var results atomic.Int64
	var firstErr atomic.Pointer[error]
	elapsed, err := runPhase(ctx, len(queries), concurrency, load.NewRegistry(), func(ctx context.Context, it *load.Iteration) error {
		i := it.InTest
		t := time.Now()
		n, err := fn(ctx, queries[i])
		lat[i] = time.Since(t)
		if err != nil {
			firstErr.CompareAndSwap(nil, &err)
			return nil
		}
		results.Add(int64(n))
		return nil
	})
	if err != nil {
		return ExactLatency{}, err
	}
	if e := firstErr.Load(); e != nil {
		return ExactLatency{}, *e
	}
	return exactLatency(lat, results.Load(), elapsed), nil
}

// warmUp runs one query per client, untimed, so that the timed phase
// finds its connections open and its statements prepared, as Mimo's
// search phase finds the server's (open since the ingest).
func warmUp(ctx context.Context, queries []string, concurrency int, fn func(context.Context, string) (int, error)) error {
	_, err := timeQueries(ctx, queries[:min(concurrency, len(queries))], concurrency, fn)
	return err
}

// ftsBaseline is the plain FTS5 query over Mimo's full-text table.
type ftsBaseline struct {
	stmt  *sql.Stmt
	limit int
}

// ftsQuery is the plain full-text query: FTS5's own BM25 order, no join,
// no filter.
const ftsQuery = `SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT ?`

func newFTSBaseline(ctx context.Context, db *sql.DB, limit int) (*ftsBaseline, error) {
	stmt, err := db.PrepareContext(ctx, ftsQuery)
	if err != nil {
		return nil, fmt.Errorf("ratios: preparing the full-text query: %w", err)
	}
	return &ftsBaseline{stmt: stmt, limit: limit}, nil
}

func (f *ftsBaseline) close() { _ = f.stmt.Close() }

// search runs the query for text, made into a MATCH expression the way
// Mimo's SQLite store makes it, and returns the hits.
func (f *ftsBaseline) search(ctx context.Context, text string) (int, error) {
	match := matchExpr(text)
	if match == "" {
		return 0, nil
	}
	rows, err := f.stmt.QueryContext(ctx, match, f.limit)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// matchExpr is the FTS5 expression Mimo's SQLite store searches for text:
// its search words (mimo.SearchWords), each quoted, joined with OR.
func matchExpr(text string) string {
	words := mimo.SearchWords(text)
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	return strings.Join(words, " OR ")
}

// vectorScan is the exact float32 nearest-neighbour scan: every stored
// vector of a namespace, held in one array, each query compared with all
// of them.
type vectorScan struct {
	emb   *embed.Builtin
	dim   int
	n     int
	vecs  []float32 // n rows of dim
	limit int
}

// loadVectorScan reads every current vector of namespace. They must all be
// the built-in embedder's, of one model, which embeds the queries.
func loadVectorScan(ctx context.Context, db *sql.DB, namespace string, limit int) (*vectorScan, error) {
	rows, err := db.QueryContext(ctx, `SELECT embedding_model, embedding FROM memories
		WHERE namespace = ? AND superseded_by IS NULL AND embedding IS NOT NULL`, namespace)
	if err != nil {
		return nil, fmt.Errorf("ratios: reading the vectors: %w", err)
	}
	defer rows.Close()
	s := &vectorScan{limit: limit}
	model := ""
	for rows.Next() {
		var m string
		var blob []byte
		if err := rows.Scan(&m, &blob); err != nil {
			return nil, fmt.Errorf("ratios: reading the vectors: %w", err)
		}
		v, err := mimo.DecodeVector(blob)
		if err != nil {
			return nil, fmt.Errorf("ratios: reading the vectors: %w", err)
		}
		if model == "" {
			model, s.dim = m, len(v)
		}
		if m != model || len(v) != s.dim {
			return nil, fmt.Errorf("ratios: vectors of two models (%s, %d dims and %s, %d dims)", model, s.dim, m, len(v))
		}
		s.vecs = append(s.vecs, v...)
		s.n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ratios: reading the vectors: %w", err)
	}
	if s.n == 0 {
		return nil, fmt.Errorf("ratios: namespace %q holds no vectors", namespace)
	}
	s.emb = embed.NewBuiltin(embed.BuiltinOptions{Dim: s.dim, WordNet: strings.Contains(model, "-wordnet")})
	if s.emb.Model() != model {
		return nil, fmt.Errorf("ratios: the vectors are %s's, not the built-in embedder's (%s); the scan needs the built-in embedder", model, s.emb.Model())
	}
	return s, nil
}

// search embeds text and returns how many of the limit nearest vectors it
// found (all of them, unless fewer are stored).
func (s *vectorScan) search(ctx context.Context, text string) (int, error) {
	qs, err := s.emb.Embed(ctx, []string{text})
	if err != nil {
		return 0, err
	}
	return len(s.nearest(qs[0])), nil
}

// hit is a row of the scan and its score.
type hit struct {
	row   int
	score float32
}

// nearest returns the rows of the limit highest dot products with q (the
// built-in embedder's vectors are of unit length, so the cosine), best
// first, ties by lower row.
func (s *vectorScan) nearest(q []float32) []hit {
	h := make(minHeap, 0, s.limit+1)
	for row := range s.n {
		v := s.vecs[row*s.dim : (row+1)*s.dim : (row+1)*s.dim]
		var dot float32
		for i, x := range q {
			dot += x * v[i]
		}
		if len(h) < s.limit {
			heap.Push(&h, hit{row, dot})
		} else if dot > h[0].score {
			h[0] = hit{row, dot}
			heap.Fix(&h, 0)
		}
	}
	out := []hit(h)
	slices.SortFunc(out, func(a, b hit) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return a.row - b.row
	})
	return out
}

// minHeap keeps the best hits seen, the worst on top.
type minHeap []hit

func (h minHeap) Len() int { return len(h) }
func (h minHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].row > h[j].row
}
func (h minHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)   { *h = append(*h, x.(hit)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
