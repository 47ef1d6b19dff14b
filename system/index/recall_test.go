package index

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	mimo "mimo/system"
	"mimo/system/embed"
	"mimo/system/internal/benchcorpus"
)

// recallCorpus fills an index with n memories of mimobench's corpus
// (benchcorpus) embedded by the built-in embedder, categories cycling, and
// returns it with the embeddings of queries queries of 2–8 corpus words.
func recallCorpus(tb testing.TB, n, queries int) (*Index, [][]float32) {
	x, qs, _ := recallCorpusVectors(tb, n, queries)
	return x, qs
}

// recallCorpusVectors is recallCorpus that also returns the memories'
// vectors, normalised, in row order.
func recallCorpusVectors(tb testing.TB, n, queries int) (*Index, [][]float32, [][]float32) {
	tb.Helper()
	c, err := benchcorpus.Load(benchcorpus.VocabFile, 1)
	if err != nil {
		tb.Fatal(err)
	}
	e := embed.NewBuiltin(embed.BuiltinOptions{})
	x := New(Options{Dim: e.Dim()})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var all [][]float32
	const chunk = 1000
	for lo := 0; lo < n; lo += chunk {
		texts := make([]string, min(chunk, n-lo))
		for i := range texts {
			texts[i] = c.Content()
		}
		vecs, err := e.Embed(context.Background(), texts)
		if err != nil {
			tb.Fatal(err)
		}
		for i, v := range vecs {
			nv, _ := normalized(v)
			all = append(all, nv)
			mustUpsert(tb, x, Entry{
				ID:        fmt.Sprintf("0193a0b1-0000-7000-8000-%012d", lo+i),
				Vector:    v,
				Category:  mimo.Categories[(lo+i)%len(mimo.Categories)],
				CreatedAt: base.Add(time.Duration(lo+i) * time.Second),
			})
		}
	}
	texts := make([]string, queries)
	for i := range texts {
		texts[i] = c.Query()
	}
	qs, err := e.Embed(context.Background(), texts)
	if err != nil {
		tb.Fatal(err)
	}
	return x, qs, all
}

// trueTop returns the IDs (as recallCorpus names them) of the k rows of vecs
// with the highest float32 cosine with q, best first.
func trueTop(q []float32, vecs [][]float32, k int) []mimo.VectorHit {
	qn, _ := normalized(q)
	t := make([]mimo.VectorHit, 0, len(vecs))
	for i, v := range vecs {
		t = append(t, mimo.VectorHit{ID: fmt.Sprintf("0193a0b1-0000-7000-8000-%012d", i), Score: float64(dot(qn, v))})
	}
	slices.SortFunc(t, func(a, b mimo.VectorHit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return t[:k]
}

// exactSearch is Search with the signature pass turned off: the exact scan.
func exactSearch(x *Index, q []float32, f mimo.Filter, k int) []mimo.VectorHit {
	old := minSigRows
	minSigRows = math.MaxInt
	defer func() { minSigRows = old }()
	return x.Search(q, f, k)
}

// recall returns the share of want's IDs that got holds.
func recall(got, want []mimo.VectorHit) float64 {
	if len(want) == 0 {
		return 1
	}
	in := map[string]bool{}
	for _, h := range got {
		in[h.ID] = true
	}
	n := 0
	for _, h := range want {
		if in[h.ID] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// The signature pass gives up exactness for speed; on the corpus Mimo is
// benchmarked with (short memories, the built-in embedder) it must keep
// nearly all of the exact top 10 and top 50, with and without a filter, and
// every score it returns must be the exact scan's score of that row.
// MIMO_RECALL_MEMORIES sets the corpus size (default 25,000, above
// minSigRows).
func TestShortlistRecall(t *testing.T) {
	n := 25_000
	if v, err := strconv.Atoi(os.Getenv("MIMO_RECALL_MEMORIES")); err == nil && v > 0 {
		n = v
	}
	if testing.Short() {
		t.Skip("embeds a large corpus")
	}
	x, qs, vecs := recallCorpusVectors(t, n, 200)
	// Against the float32 cosines the index no longer keeps: what scoring
	// from codes and the shortlist lose together.
	var t10, t50, maxErr float64
	for _, q := range qs {
		want := trueTop(q, vecs, 50)
		t50 += recall(x.Search(q, mimo.Filter{}, 50), want)
		t10 += recall(x.Search(q, mimo.Filter{}, 10), want[:10])
		for _, h := range want {
			s, _ := x.Similarity("", h.ID, q)
			maxErr = max(maxErr, math.Abs(s-h.Score))
		}
	}
	t10 /= float64(len(qs))
	t50 /= float64(len(qs))
	t.Logf("%d memories, %d queries: recall of the float32 top 10 %.4f, of the top 50 %.4f; largest score error %.5f",
		n, len(qs), t10, t50, maxErr)
	if t10 < 0.98 || t50 < 0.97 || maxErr > maxResid(x) {
		t.Errorf("against float32 cosines: recall@10 %.4f (floor 0.98), recall@50 %.4f (floor 0.97), score error %.5f (bound %.5f)",
			t10, t50, maxErr, maxResid(x))
	}
	for _, tc := range []struct {
		name        string
		f           mimo.Filter
		floor10     float64
		floor50     float64
		floorSingle float64
	}{
		{"all", mimo.Filter{}, 0.99, 0.99, 0.85},
		{"category", mimo.Filter{Categories: []mimo.Category{mimo.CategoryFact}}, 0.99, 0.99, 0.85},
	} {
		var r10, r50 float64
		worst := 1.0
		for _, q := range qs {
			want := exactSearch(x, q, tc.f, 50)
			got := x.Search(q, tc.f, 50)
			for _, h := range got {
				if s, ok := x.Similarity("", h.ID, q); !ok || s != h.Score {
					t.Fatalf("%s: %s scored %v, its cosine is %v (found %v)", tc.name, h.ID, h.Score, s, ok)
				}
			}
			r := recall(got, want)
			r50 += r
			worst = min(worst, r)
			r10 += recall(x.Search(q, tc.f, 10), want[:min(10, len(want))])
		}
		r10 /= float64(len(qs))
		r50 /= float64(len(qs))
		t.Logf("%s, %d memories, %d queries: recall of the exact top 10 %.4f, of the top 50 %.4f (worst query %.2f)",
			tc.name, n, len(qs), r10, r50, worst)
		if r10 < tc.floor10 || r50 < tc.floor50 || worst < tc.floorSingle {
			t.Errorf("%s: recall@10 %.4f (floor %.2f), recall@50 %.4f (floor %.2f), worst %.2f (floor %.2f)",
				tc.name, r10, tc.floor10, r50, tc.floor50, worst, tc.floorSingle)
		}
	}
}

// BenchmarkSearchCorpus is one search of the k = 50 best over mimobench's
// corpus embedded by the built-in embedder (recallCorpus), the size set by
// MIMO_RECALL_MEMORIES (default 100,000), by signatures first and by the
// exact scan.
func BenchmarkSearchCorpus(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("MIMO_RECALL_MEMORIES")); err == nil && v > 0 {
		n = v
	}
	x, qs := recallCorpus(b, n, 256)
	for _, path := range []string{"signatures", "exact"} {
		b.Run(fmt.Sprintf("n=%d/%s", n, path), func(b *testing.B) {
			if path == "exact" {
				old := minSigRows
				minSigRows = math.MaxInt
				defer func() { minSigRows = old }()
			}
			i := 0
			for b.Loop() {
				if hits := x.Search(qs[i%len(qs)], mimo.Filter{}, 50); len(hits) != 50 {
					b.Fatalf("%d hits", len(hits))
				}
				i++
			}
		})
	}
}
