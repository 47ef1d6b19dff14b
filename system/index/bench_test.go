package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	mimo "mimo/system"
)

// fill adds n random unit vectors to namespace "default" of x, with
// categories cycling through mimo.Categories.
func fill(tb testing.TB, x *Index, n int, rng *rand.Rand) {
	tb.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := make([]float32, x.Dim())
	for i := range n {
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		err := x.Upsert(Entry{
			ID:        fmt.Sprintf("m%07d", i),
			Vector:    v,
			Category:  mimo.Categories[i%len(mimo.Categories)],
			CreatedAt: base.Add(time.Duration(i) * time.Second),
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func randomVector(dim int, rng *rand.Rand) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(rng.NormFloat64())
	}
	return v
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		rng := rand.New(rand.NewPCG(1, 2))
		x := New(Options{Dim: 384})
		fill(b, x, n, rng)
		queries := make([][]float32, 64)
		for i := range queries {
			queries[i] = randomVector(384, rng)
		}
		for _, tc := range []struct {
			name string
			f    mimo.Filter
		}{
			{"all", mimo.Filter{}},
			{"category", mimo.Filter{Categories: []mimo.Category{mimo.CategoryFact}}},
		} {
			for _, scan := range []string{"quantised", "every-row"} {
				b.Run(fmt.Sprintf("n=%d/%s/%s", n, tc.name, scan), func(b *testing.B) {
					if scan == "every-row" {
						old := minQuantRows
						minQuantRows = math.MaxInt
						defer func() { minQuantRows = old }()
					}
					reportCPU(b)
					i := 0
					for b.Loop() {
						if hits := x.Search(queries[i%len(queries)], tc.f, 50); len(hits) != 50 {
							b.Fatalf("%d hits", len(hits))
						}
						i++
					}
				})
			}
		}
	}
}

func BenchmarkDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	q, v := randomVector(384, rng), randomVector(384, rng)
	var sink float32
	for b.Loop() {
		sink += dot(q, v)
	}
	_ = sink
}

func BenchmarkCodeDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	q, v := randomVector(384, rng), randomVector(384, rng)
	row := make([]uint64, wordsFor(384))
	r := quantize(v, row)
	for _, avx2 := range []bool{false, true} {
		if avx2 && !hasAVX2 {
			continue
		}
		b.Run(fmt.Sprintf("avx2=%v", avx2), func(b *testing.B) {
			p := newProbe(q)
			if !avx2 && p.avx2 {
				p = makeProbe(q, false)
			}
			out := make([]int32, 1)
			var sink int64
			for b.Loop() {
				p.codeDots(row, len(row), []quant{r}, []int32{0}, out)
				sink += int64(out[0])
			}
			_ = sink
		})
	}
}

var benchSizes = []int{10_000, 100_000}

// The signature pass's kernels over 50,000 rows (half of a 100,000-row
// search on two cores): the plain distances, and the distances with their
// histogram.
func BenchmarkHammings512(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 50_000
	q := make([]uint64, 8)
	sigs := make([]uint64, 8*n)
	for i := range q {
		q[i] = rng.Uint64()
	}
	for i := range sigs {
		sigs[i] = rng.Uint64()
	}
	out := make([]uint16, n)
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			hammings512(q, sigs, out)
		}
	})
	b.Run("hist", func(b *testing.B) {
		var h distHist
		for b.Loop() {
			hammings512Hist(q, sigs, out, &h)
		}
	})
}

// The first pass over a shortlist's rows: 1,536 ascending rows scattered
// over 100,000 rows of codes (38 MB at 384 dimensions), a different set
// each time, so their codes come from memory as in a search.
func BenchmarkCodeDotsShortlist(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, short = 100_000, 1536
	words := wordsFor(384)
	codes := make([]uint64, n*words)
	for i := range codes {
		codes[i] = rng.Uint64() & 0x7F7F7F7F7F7F7F7F
	}
	quants := make([]quant, n)
	sets := make([][]int32, 64)
	for i := range sets {
		perm := rng.Perm(n)[:short]
		rows := make([]int32, short)
		for j, p := range perm {
			rows[j] = int32(p)
		}
		slices.Sort(rows)
		sets[i] = rows
	}
	p := newProbe(randomVector(384, rng))
	out := make([]int32, batch)
	i := 0
	for b.Loop() {
		rows := sets[i%len(sets)]
		for j := 0; j < len(rows); j += batch {
			p.codeDots(codes, words, quants, rows[j:min(len(rows), j+batch)], out)
		}
		i++
	}
}

// Scoring one row from its codes and fine codes, with each kernel.
func BenchmarkScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	q, _ := normalized(randomVector(384, rng))
	v, _ := normalized(randomVector(384, rng))
	row, fine := make([]uint64, wordsFor(384)), make([]uint64, fineWordsFor(384))
	r := quantize(v, row)
	refine(v, row, &r, fine)
	sq := newScorer(q, len(row))
	for _, avx2 := range kernels() {
		b.Run(fmt.Sprintf("avx2=%v", avx2), func(b *testing.B) {
			setAVX2(b, avx2)
			var sink float32
			for b.Loop() {
				sink += sq.score(row, fine, r)
			}
			_ = sink
		})
	}
}

// Searches of 100,000 rows from two goroutines a core at once (four with
// -cpu 2, like four clients searching on two cores): each search then runs
// on one goroutine (Options.Workers over the searches under way), and
// ns/op is wall time over all searches, so about the CPU of one search
// divided by the cores.
func BenchmarkSearchParallel(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := New(Options{Dim: 384})
	fill(b, x, 100_000, rng)
	queries := make([][]float32, 64)
	for i := range queries {
		queries[i] = randomVector(384, rng)
	}
	b.SetParallelism(2)
	b.ResetTimer()
	reportCPU(b)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			if hits := x.Search(queries[i%len(queries)], mimo.Filter{}, 50); len(hits) != 50 {
				b.Errorf("%d hits", len(hits))
				return
			}
		}
	})
}
