package index

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// reference is a naive model of the index: a map per namespace, cosine in
// float64, every entry tested against the filter.
type reference map[string]map[string]Entry

func (r reference) upsert(e Entry) {
	ns := memorykit.Namespace(e.Namespace)
	if r[ns] == nil {
		r[ns] = map[string]Entry{}
	}
	e.Vector = slices.Clone(e.Vector)
	r[ns][e.ID] = e
}

func (r reference) delete(ns, id string) { delete(r[memorykit.Namespace(ns)], id) }

func (r reference) matches(e Entry, f mimo.Filter) bool {
	if e.Superseded && !f.IncludeSuperseded {
		return false
	}
	if len(f.Categories) > 0 && !slices.Contains(f.Categories, e.Category) {
		return false
	}
	for _, t := range f.Tags {
		if !slices.Contains(e.Tags, t) {
			return false
		}
	}
	if !f.Since.IsZero() && e.CreatedAt.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !e.CreatedAt.Before(f.Until) {
		return false
	}
	return true
}

// search returns every matching entry with its float64 cosine, best first.
func (r reference) search(q []float32, f mimo.Filter) []mimo.VectorHit {
	var out []mimo.VectorHit
	for _, e := range r[memorykit.Namespace(f.Namespace)] {
		if r.matches(e, f) {
			out = append(out, mimo.VectorHit{ID: e.ID, Score: cosine64(q, e.Vector)})
		}
	}
	slices.SortFunc(out, func(a, b mimo.VectorHit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

func cosine64(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return d / math.Sqrt(na*nb)
}

// checkAgainst fails unless got is a correct top k of want (all matching
// entries, best first, exact cosines), allowing each score to be tol from
// the exact cosine: the quantisation residual of the rows (maxResid) and
// float32 rounding.
func checkAgainst(t *testing.T, what string, got, want []mimo.VectorHit, k int, tol float64) {
	t.Helper()
	if len(got) != min(k, len(want)) {
		t.Fatalf("%s: %d hits, want %d", what, len(got), min(k, len(want)))
	}
	if len(got) == 0 {
		return
	}
	score := map[string]float64{}
	for _, h := range want {
		score[h.ID] = h.Score
	}
	seen := map[string]bool{}
	for i, h := range got {
		ref, ok := score[h.ID]
		if !ok || seen[h.ID] {
			t.Fatalf("%s: hit %d %q is not a matching entry, or repeated", what, i, h.ID)
		}
		seen[h.ID] = true
		if math.Abs(ref-h.Score) > tol {
			t.Fatalf("%s: %q scored %v, reference %v", what, h.ID, h.Score, ref)
		}
		if i > 0 && (h.Score > got[i-1].Score || h.Score == got[i-1].Score && h.ID < got[i-1].ID) {
			t.Fatalf("%s: hits %d and %d out of order: %v", what, i-1, i, got[i-1:i+1])
		}
	}
	// A row left out may outscore the k-th hit only by the two rows'
	// errors.
	last := got[len(got)-1].Score
	for _, h := range want {
		if h.Score > last+2*tol && !seen[h.ID] {
			t.Fatalf("%s: %q (score %v) missing; the k-th hit scores %v", what, h.ID, h.Score, last)
		}
	}
}

// maxResid returns the largest quantisation residual of x's rows plus
// float32 rounding: how far a score may be from the exact cosine (quant.go).
func maxResid(x *Index) float64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	r := 0.0
	for _, s := range x.spaces {
		for _, q := range s.quants {
			r = max(r, float64(q.fineResid))
		}
	}
	return r + 2e-5
}

// dataset makes vectors around a few centres, so many scores are close
// together (near ties are where a wrong bound would show), with some exact
// duplicates and some zero vectors.
type dataset struct {
	rng     *rand.Rand
	dim     int
	centres [][]float32
}

func newDataset(seed uint64, dim int) *dataset {
	d := &dataset{rng: rand.New(rand.NewPCG(seed, seed*31+7)), dim: dim}
	for range 6 {
		d.centres = append(d.centres, randomVector(dim, d.rng))
	}
	return d
}

func (d *dataset) vector() []float32 {
	switch r := d.rng.IntN(40); {
	case r == 0:
		return make([]float32, d.dim)
	case r < 4:
		return slices.Clone(d.centres[d.rng.IntN(len(d.centres))])
	case r < 20:
		c := d.centres[d.rng.IntN(len(d.centres))]
		v := make([]float32, d.dim)
		for i := range v {
			v[i] = c[i] + 0.3*float32(d.rng.NormFloat64())
		}
		return v
	default:
		return randomVector(d.dim, d.rng)
	}
}

var testTags = []string{"a", "b", "c"}

func (d *dataset) entry(id, ns string) Entry {
	var tags []string
	for _, t := range testTags {
		if d.rng.IntN(2) == 0 {
			tags = append(tags, t)
		}
	}
	cat := mimo.Categories[d.rng.IntN(len(mimo.Categories))]
	if d.rng.IntN(50) == 0 {
		cat = "custom"
	}
	return Entry{
		ID: id, Namespace: ns, Vector: d.vector(), Category: cat, Tags: tags,
		CreatedAt:  time.Unix(int64(d.rng.IntN(1000)), 0),
		Superseded: d.rng.IntN(8) == 0,
	}
}

func (d *dataset) filter(ns string) mimo.Filter {
	f := mimo.Filter{Namespace: ns, IncludeSuperseded: d.rng.IntN(3) == 0}
	if d.rng.IntN(3) == 0 {
		for _, c := range append(slices.Clone(mimo.Categories), "custom") {
			if d.rng.IntN(3) == 0 {
				f.Categories = append(f.Categories, c)
			}
		}
	}
	if d.rng.IntN(4) == 0 {
		f.Tags = testTags[:1+d.rng.IntN(2)]
	}
	if d.rng.IntN(4) == 0 {
		f.Since = time.Unix(int64(d.rng.IntN(500)), 0)
	}
	if d.rng.IntN(4) == 0 {
		f.Until = time.Unix(int64(500+d.rng.IntN(500)), 0)
	}
	return f
}

// The index against the naive reference, through upserts, re-upserts and
// deletes in several namespaces, for sizes on both sides of minQuantRows and
// of the parallel split, with both first-pass kernels.
func TestSearchMatchesReference(t *testing.T) {
	type config struct {
		dim, n, workers int
	}
	configs := []config{{40, 300, 1}, {40, 3000, 2}, {40, 9000, 3}, {384, 1500, 2}}
	if testing.Short() {
		configs = configs[:2]
	}
	for _, avx2 := range kernels() {
		for ci, c := range configs {
			t.Run(fmt.Sprintf("avx2=%v/dim=%d/n=%d/workers=%d", avx2, c.dim, c.n, c.workers), func(t *testing.T) {
				setAVX2(t, avx2)
				d := newDataset(uint64(ci+1), c.dim)
				x := New(Options{Dim: c.dim, Workers: c.workers})
				ref := reference{}
				namespaces := []string{"", "other", "third"}
				var live []Entry
				for i := range c.n {
					ns := namespaces[[]int{0, 0, 0, 0, 0, 0, 0, 1, 1, 2}[d.rng.IntN(10)]]
					e := d.entry(fmt.Sprintf("id%06d", i), ns)
					mustUpsert(t, x, e)
					ref.upsert(e)
					live = append(live, e)
				}
				for round := range 3 {
					// Re-upsert (new vector and metadata) and delete some.
					for range c.n / 10 {
						e := live[d.rng.IntN(len(live))]
						if d.rng.IntN(2) == 0 {
							x.Delete(e.Namespace, e.ID)
							ref.delete(e.Namespace, e.ID)
						} else {
							e2 := d.entry(e.ID, e.Namespace)
							mustUpsert(t, x, e2)
							ref.upsert(e2)
						}
					}
					total := 0
					for _, ns := range namespaces {
						if got, want := x.NamespaceLen(ns), len(ref[memorykit.Namespace(ns)]); got != want {
							t.Fatalf("NamespaceLen(%q) = %d, want %d", ns, got, want)
						}
						total += len(ref[memorykit.Namespace(ns)])
					}
					if x.Len() != total {
						t.Fatalf("Len = %d, want %d", x.Len(), total)
					}
					for qi := range 25 {
						ns := namespaces[qi%2]
						f := d.filter(ns)
						k := []int{1, 5, 10, 50, 200}[d.rng.IntN(5)]
						q := d.vector()
						if qi%5 == 0 {
							// A stored vector: its own entry must come first or tie.
							for _, e := range ref[memorykit.Namespace(ns)] {
								q = e.Vector
								break
							}
						}
						if isZero(q) {
							continue // ranks nothing; tested on its own
						}
						got := x.Search(q, f, k)
						checkAgainst(t, fmt.Sprintf("round %d query %d (k %d, filter %+v)", round, qi, k, f), got, ref.search(q, f), k, maxResid(x))
					}
				}
			})
		}
	}
}

// The first pass must change nothing: the bounded search returns exactly
// what scoring every row from its codes returns, ids and scores, even on
// random data where many rows fall within the bound of the k-th.
func TestFirstPassIsExact(t *testing.T) {
	const dim = 384
	n := 9000 // two chunks of at least minChunk rows
	if testing.Short() {
		n = 3000
	}
	compareSearches(t, dim, n, rand.New(rand.NewPCG(11, 12)), "scoring every row", func(x *Index, sc *scan) []mimo.VectorHit {
		s := sc.s
		return s.merge([]*topK{sc.exact(0, len(s.ids))}, sc.k)
	})
}

// compareSearches fills an index of dim dimensions with n random rows and,
// with every kernel this machine runs, compares the hits of 20 searches
// (k of 1, 10, 50 and 100, half of them filtered by category) with what
// want computes from the same scan's parts: ids and scores must be equal.
func compareSearches(t *testing.T, dim, n int, rng *rand.Rand, what string, want func(x *Index, sc *scan) []mimo.VectorHit) {
	t.Helper()
	x := New(Options{Dim: dim, Workers: 2})
	fill(t, x, n, rng)
	s := x.spaces[mimo.DefaultNamespace]
	for _, avx2 := range kernels() {
		setAVX2(t, avx2)
		for qi := range 20 {
			q := randomVector(dim, rng)
			f := mimo.Filter{}
			if qi%2 == 1 {
				f.Categories = []mimo.Category{mimo.CategoryFact, mimo.CategoryPlan}
			}
			k := []int{1, 10, 50, 100}[qi%4]
			got := x.Search(q, f, k)
			qn, _ := normalized(q)
			m := newMatcher(f)
			sc := &scan{s: s, q: qn, sq: newScorer(qn, x.words), m: &m, k: k, dim: dim, words: x.words}
			if w := want(x, sc); len(w) != min(k, n) || !slices.Equal(got, w) {
				t.Fatalf("avx2 %v query %d k %d: search differs from %s:\n got %v\nwant %v", avx2, qi, k, what, got, w)
			}
		}
	}
}

// kernels lists the first-pass kernels this machine can run.
func kernels() []bool {
	if hasAVX2 {
		return []bool{false, true}
	}
	return []bool{false}
}

func setAVX2(t testing.TB, on bool) {
	old := hasAVX2
	hasAVX2 = on
	t.Cleanup(func() { hasAVX2 = old })
}
