package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"mimo/system"
)

// TouchBenchDim is the dimension of the vectors BenchTouch stores: that of
// the built-in embedder, so each memory row is as wide as a real one
// (about 1.5 KB of embedding).
const TouchBenchDim = 384

// BenchTouch measures TouchMemories as the service's access recorder calls
// it: one call a flush with touched memories at random among n stored ones
// (each with a TouchBenchDim vector), perCall IDs a call. It reports
// ms/touch per call and µs/memory. Storing the n memories is not timed.
func BenchTouch(b *testing.B, s mimo.Store, n, perCall int) {
	ctx := b.Context()
	r := rand.New(rand.NewPCG(7, 8))
	ids := make([]string, 0, n)
	const batch = 1000
	for start := 0; start < n; start += batch {
		ms := make([]*mimo.Memory, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			m := NewMemory("touch", fmt.Sprintf("touch benchmark memory %d of %d", i, n))
			v := make([]float32, TouchBenchDim)
			for j := range v {
				v[j] = r.Float32() - 0.5
			}
			m.Embedding = mimo.Embedding{Vector: v, Model: "touch-bench", Dim: TouchBenchDim}
			m.EmbeddingModel, m.EmbeddingDim = "touch-bench", TouchBenchDim
			ms = append(ms, m)
			ids = append(ids, m.ID)
		}
		res, err := s.CreateMemories(ctx, ms)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range res {
			if c.Err != nil || !c.Created {
				b.Fatalf("seeding: %v", c.Err)
			}
		}
	}
	touch := make([]string, perCall)
	at := time.Now().UTC().Truncate(time.Microsecond)
	b.ResetTimer()
	for b.Loop() {
		for i := range touch {
			touch[i] = ids[r.IntN(len(ids))]
		}
		at = at.Add(time.Second)
		if err := s.TouchMemories(ctx, "touch", touch, at); err != nil {
			b.Fatal(err)
		}
	}
	perOp := float64(b.Elapsed().Microseconds()) / float64(b.N)
	b.ReportMetric(perOp/1000, "ms/touch")
	b.ReportMetric(perOp/float64(perCall), "µs/memory")
}
