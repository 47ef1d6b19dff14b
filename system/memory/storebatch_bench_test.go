package memory_test

import (
	"context"
	"path/filepath"
	"testing"

	mimo "mimo/system"
	"mimo/system/embed"
	"mimo/system/index"
	"mimo/system/internal/benchcorpus"
	"mimo/system/memory"
	"mimo/system/sqlite"
)

// BenchmarkServiceStoreBatch measures Service.StoreBatch on SQLite with the
// built-in embedder: MIMO_BENCH_MEMORIES memories (default 10,000) of the
// benchmark corpus in batches of 1,000, embedding, the near-duplicate check
// and the transaction included. It reports memories stored a second.
func BenchmarkServiceStoreBatch(b *testing.B) {
	n := benchMemories(b)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(b.TempDir(), "mimo.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(ctx); err != nil {
		b.Fatal(err)
	}
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	idx := index.New(index.Options{Dim: emb.Dim()})
	fol := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Model: emb.Model(), Text: index.NewText(index.TextOptions{})})
	if err := fol.Load(ctx); err != nil {
		b.Fatal(err)
	}
	svc, err := memory.New(memory.Options{Store: st, Embedder: emb, Index: idx, Follower: fol})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	c, err := benchcorpus.Load(benchcorpus.VocabFile, 1)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for done := 0; done < n; done += 1000 {
			rs := make([]mimo.StoreRequest, min(1000, n-done))
			for i := range rs {
				rs[i] = mimo.StoreRequest{Content: c.Content(), Category: mimo.Categories[(done+i)%len(mimo.Categories)]}
			}
			res, err := svc.StoreBatch(ctx, rs)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "mem/s")
}
