package memory_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	mimo "mimo/system"
	"mimo/system/embed"
	"mimo/system/index"
	"mimo/system/internal/benchcorpus"
	"mimo/system/internal/memorykit"
	"mimo/system/memory"
	"mimo/system/postgres"
	"mimo/system/postgres/pgtest"
	"mimo/system/sqlite"
)

// benchMemoriesEnv overrides how many memories BenchmarkServiceSearch
// stores (default 10,000); the figures in docs/BENCHMARKS.md are at
// 100,000.
const benchMemoriesEnv = "MIMO_BENCH_MEMORIES"

// BenchmarkServiceSearch measures Service.Search end to end (validation,
// query embedding, the change log's catch-up, both retrievers, reading the
// memories, scoring) on each store, with words ranked by the store's
// full-text search ("store-text") and by the in-process text index
// ("text-index"), on the same data in one run. It reports the time of one
// search (ns/op), its median and 99th percentile, and how long loading the
// indexes from the change log took.
func BenchmarkServiceSearch(b *testing.B) {
	n := benchMemories(b)
	stores := map[string]func(b *testing.B) mimo.Store{
		"sqlite": func(b *testing.B) mimo.Store {
			st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(b.TempDir(), "mimo.db")})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			if _, err := st.MigrateUp(context.Background()); err != nil {
				b.Fatal(err)
			}
			return st
		},
		"postgres": func(b *testing.B) mimo.Store {
			st, err := postgres.Open(context.Background(), postgres.Options{URL: pgtest.URL(b)})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			if _, err := st.MigrateUp(context.Background()); err != nil {
				b.Fatal(err)
			}
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
			st := stores[name](b)
			emb := embed.NewBuiltin(embed.BuiltinOptions{})
			corpus := seedBench(b, st, emb, n)
			queries := make([]string, 256)
			for i := range queries {
				queries[i] = corpus.Query()
			}
			for _, way := range []string{"store-text", "text-index"} {
				b.Run(way, func(b *testing.B) {
					idx := index.New(index.Options{Dim: emb.Dim()})
					fo := index.FollowerOptions{Store: st, Index: idx, Model: emb.Model()}
					if way == "text-index" {
						fo.Text = index.NewText(index.TextOptions{})
					}
					fol := index.NewFollower(fo)
					t := time.Now()
					if err := fol.Load(context.Background()); err != nil {
						b.Fatal(err)
					}
					load := time.Since(t)
					svc, err := memory.New(memory.Options{Store: st, Embedder: emb, Index: idx, Follower: fol})
					if err != nil {
						b.Fatal(err)
					}
					defer svc.Close()
					ctx := context.Background()
					took := make([]time.Duration, 0, b.N)
					i := 0
					for b.Loop() {
						t := time.Now()
						page, err := svc.Search(ctx, mimo.SearchQuery{Query: queries[i%len(queries)]})
						took = append(took, time.Since(t))
						if err != nil || page.Mode != memory.ModeHybrid {
							b.Fatalf("search: %v, mode %v", err, page)
						}
						i++
					}
					slices.Sort(took)
					b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
					b.ReportMetric(load.Seconds(), "load-s")
				})
			}
		})
	}
}

// benchMemories is how many memories a service benchmark stores:
// MIMO_BENCH_MEMORIES, default 10,000.
func benchMemories(b *testing.B) int {
	n := 10_000
	if v := os.Getenv(benchMemoriesEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: not a positive number", benchMemoriesEnv, v)
		}
	}
	return n
}

// seedBench stores n memories of the benchmark corpus (benchcorpus) in the
// default namespace, with the built-in embedder's vectors, straight into
// the store in batches (the service's duplicate checks would make seeding
// the slow part), and returns the corpus for the queries.
func seedBench(b *testing.B, st mimo.Store, emb mimo.Embedder, n int) *benchcorpus.Corpus {
	b.Helper()
	ctx := context.Background()
	c, err := benchcorpus.Load(benchcorpus.VocabFile, 1)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 1000
	now := time.Now().UTC().Truncate(time.Microsecond)
	for done := 0; done < n; done += batch {
		ms := make([]*mimo.Memory, min(batch, n-done))
		texts := make([]string, len(ms))
		for i := range ms {
			texts[i] = c.Content()
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			b.Fatal(err)
		}
		for i := range ms {
			at := now.Add(time.Duration(done+i-n) * time.Second)
			ms[i] = &mimo.Memory{
				ID: uuid.Must(uuid.NewV7()).String(), Namespace: mimo.DefaultNamespace, Content: texts[i],
				Category: mimo.Categories[(done+i)%len(mimo.Categories)], Importance: 0.5,
				CreatedAt: at, UpdatedAt: at, ContentHash: memorykit.ContentHash(texts[i]),
				Embedding: mimo.Embedding{Vector: vecs[i], Model: emb.Model(), Dim: emb.Dim()},
			}
		}
		if _, err := st.CreateMemories(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
	return c
}
