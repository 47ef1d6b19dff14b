package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres"
	"mimo/system/postgres/pgtest"
	"mimo/system/storetest"
)

// benchVocabulary returns n distinct made-up words, deterministic, none of
// them an English stop word.
func benchVocabulary(n int) []string {
	syl := strings.Fields("ka lo mi ren tas vor bel sun dri pax om quel tir zan fey gor hul nim ost pry")
	words := make([]string, 0, n)
	for i := 0; len(words) < n; i++ {
		w, k := "", i
		for {
			w += syl[k%len(syl)]
			k /= len(syl)
			if k == 0 {
				break
			}
		}
		words = append(words, w+"x") // a suffix keeps the stemmer from merging words
	}
	return words
}

// seedCorpus stores n memories of 16 words each, drawn from vocab with a
// Zipf distribution (a few words are in many memories, most in few), in
// batches of 1000.
func seedCorpus(tb testing.TB, s mimo.Store, ns string, vocab []string, n int) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1))
	for start := 0; start < n; start += 1000 {
		var batch []*mimo.Memory
		for i := start; i < min(start+1000, n); i++ {
			words := make([]string, 16)
			for j := range words {
				words[j] = vocab[zipf.Uint64()]
			}
			batch = append(batch, storetest.NewMemory(ns, fmt.Sprintf("note %d: %s", i, strings.Join(words, " "))))
		}
		res, err := s.CreateMemories(context.Background(), batch)
		require.NoError(tb, err)
		for _, r := range res {
			require.NoError(tb, r.Err)
		}
	}
}

// freshBench is fresh with a generous query timeout: loading thousands of
// memories on a busy machine must not fail the benchmark.
func freshBench(b *testing.B) (*postgres.Store, string) {
	url := pgtest.URL(b)
	s := openWith(b, postgres.Options{URL: url, QueryTimeout: 2 * time.Minute})
	_, err := s.MigrateUp(context.Background())
	require.NoError(b, err)
	return s, url
}

// BenchmarkTextSearch searches 10,000 memories for the default 10 hits.
// "rare" words are each in a handful of memories, "medium" ones in a few
// hundred (all ranked), "common" ones in thousands (only the newest
// maxRanked matches are ranked).
func BenchmarkTextSearch(b *testing.B) {
	s, url := freshBench(b)
	vocab := benchVocabulary(5000)
	seedCorpus(b, s, "bench", vocab, 10_000)
	ctx := context.Background()
	// Measure the steady state: autovacuum analyzes a table this size
	// within a minute of the load, and the planner needs those statistics
	// to tell rare words (index) from common ones (scan).
	conn, err := pgx.Connect(ctx, url)
	require.NoError(b, err)
	_, err = conn.Exec(ctx, "VACUUM ANALYZE memories")
	require.NoError(b, err)
	require.NoError(b, conn.Close(ctx))
	f := mimo.Filter{Namespace: "bench"}
	for _, c := range []struct {
		name    string
		queries []string
	}{
		{"rare", []string{vocab[2000] + " " + vocab[3000], vocab[1500] + " " + vocab[2500]}},
		{"medium", []string{vocab[50] + " " + vocab[80], vocab[60] + " " + vocab[90]}},
		{"common", []string{vocab[1] + " " + vocab[2], vocab[3] + " " + vocab[4]}},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				q := c.queries[i%len(c.queries)]
				hits, err := s.TextSearch(ctx, q, f, 0)
				if err != nil {
					b.Fatal(err)
				}
				if len(hits) == 0 {
					b.Fatalf("no hits for %q", q)
				}
				i++
			}
		})
	}
}

// BenchmarkCreateMemories stores batches of 1000 new memories; the figure
// per operation is one batch.
func BenchmarkCreateMemories(b *testing.B) {
	s, _ := freshBench(b)
	vocab := benchVocabulary(5000)
	rng := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1))
	n := 0
	for b.Loop() {
		b.StopTimer()
		batch := make([]*mimo.Memory, 1000)
		for i := range batch {
			words := make([]string, 16)
			for j := range words {
				words[j] = vocab[zipf.Uint64()]
			}
			batch[i] = storetest.NewMemory("ingest", fmt.Sprintf("ingest %d: %s", n, strings.Join(words, " ")))
			n++
		}
		b.StartTimer()
		res, err := s.CreateMemories(context.Background(), batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil || !r.Created {
				b.Fatal(r.Err)
			}
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "memories/s")
}

// BenchmarkCreateMemoriesExisting stores a batch of 1000 memories that are
// all stored already, as a repeated import does.
func BenchmarkCreateMemoriesExisting(b *testing.B) {
	s, _ := freshBench(b)
	batch := make([]*mimo.Memory, 1000)
	for i := range batch {
		batch[i] = storetest.NewMemory("reimport", fmt.Sprintf("imported memory %d", i))
	}
	_, err := s.CreateMemories(context.Background(), batch)
	require.NoError(b, err)
	for b.Loop() {
		res, err := s.CreateMemories(context.Background(), batch)
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Created || res[0].Err != nil {
			b.Fatal("a stored memory was created again", res[0].Err)
		}
	}
}

// BenchmarkTouchMemories records 1,000 accesses a call, as a busy second of
// searches does, among 100,000 memories with 384-float embeddings.
func BenchmarkTouchMemories(b *testing.B) {
	s, _ := freshBench(b)
	storetest.BenchTouch(b, s, 100_000, 1000)
}
