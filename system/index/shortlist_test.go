package index

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	mimo "mimo/system"
)

// lowerSigRows makes every search of at least n rows take the signature
// pass, with a shortlist of at least short rows, for the test.
func lowerSigRows(t *testing.T, n, short int) {
	oldRows, oldShort, oldPer := minSigRows, minShortlist, shortlistPerHit
	minSigRows, minShortlist, shortlistPerHit = n, short, 1
	t.Cleanup(func() { minSigRows, minShortlist, shortlistPerHit = oldRows, oldShort, oldPer })
}

// The shortlist is the want matching rows of smallest Hamming distance to
// the query's signature (ties to the earlier row), split over any number
// of goroutines, with either kernel. An odd row count leaves chunks whose
// lengths are no multiple of the four distances and eight flags the
// collection and the filter test a step.
func TestShortlistKeepsNearestSignatures(t *testing.T) {
	for _, avx2 := range kernels() {
		setAVX2(t, avx2)
		testShortlistKeepsNearestSignatures(t)
	}
}

func testShortlistKeepsNearestSignatures(t *testing.T) {
	for _, dim := range []int{40, 384} {
		d := newDataset(uint64(dim), dim)
		x := New(Options{Dim: dim})
		for i := range 3001 {
			mustUpsert(t, x, d.entry(fmt.Sprintf("id%06d", i), ""))
		}
		s := x.spaces[mimo.DefaultNamespace]
		for qi := range 20 {
			q, _ := normalized(d.vector())
			f := d.filter("")
			m := newMatcher(f)
			qsig := x.sig.sign(q)
			type row struct{ pos, dist int }
			var all []row
			for i := range s.ids {
				if !m.active || m.match(s.flags[i], &s.meta[i]) {
					all = append(all, row{i, hamming(qsig, s.sigs[i*x.sig.words:(i+1)*x.sig.words])})
				}
			}
			slices.SortStableFunc(all, func(a, b row) int { return cmp.Compare(a.dist, b.dist) })
			for _, want := range []int{1, 100, 1000, 5000} {
				var wantRows []int32
				for _, r := range all[:min(want, len(all))] {
					wantRows = append(wantRows, int32(r.pos))
				}
				slices.Sort(wantRows)
				for chunks := 1; chunks <= 3; chunks++ {
					sc := &scan{s: s, q: q, m: &m, k: 1, dim: dim, words: x.words}
					got := sc.shortlist(qsig, x.sig.words, want, chunks)
					if !slices.Equal(got, wantRows) {
						t.Fatalf("dim %d query %d want %d chunks %d: shortlist of %d rows differs from the %d nearest signatures",
							dim, qi, want, chunks, len(got), len(wantRows))
					}
				}
			}
		}
	}
}

// Similar vectors have near signatures: a vector's own signature is at
// distance 0, and a slightly perturbed copy stays far nearer than an
// unrelated vector.
func TestSignaturesFollowAngle(t *testing.T) {
	d := newDataset(5, 384)
	sg := newSigner(384)
	for range 50 {
		v, _ := normalized(randomVector(384, d.rng))
		near := make([]float32, 384)
		for i := range near {
			near[i] = v[i] + 0.01*float32(d.rng.NormFloat64())
		}
		near, _ = normalized(near)
		far, _ := normalized(randomVector(384, d.rng))
		sv, sn, sf := sg.sign(v), sg.sign(near), sg.sign(far)
		if hamming(sv, sv) != 0 {
			t.Fatal("a signature differs from itself")
		}
		// Cosine ≈ 0.98 (angle ≈ 0.2 rad): about 512·0.2/π ≈ 33 bits; an
		// unrelated vector (angle ≈ π/2): about 256.
		if hn, hf := hamming(sv, sn), hamming(sv, sf); hn > 80 || hf < 180 {
			t.Fatalf("Hamming distance to a near copy %d, to an unrelated vector %d", hn, hf)
		}
	}
}

// Through the signature pass, a search whose filter leaves no more rows
// than the shortlist holds is exact; with more, every hit is a matching row
// with its exact score, in order.
func TestSignatureSearchAgainstReference(t *testing.T) {
	lowerSigRows(t, 100, 300)
	for _, avx2 := range kernels() {
		setAVX2(t, avx2)
		d := newDataset(9, 64)
		x := New(Options{Dim: 64, Workers: 2})
		ref := reference{}
		for i := range 4000 {
			e := d.entry(fmt.Sprintf("id%06d", i), "")
			mustUpsert(t, x, e)
			ref.upsert(e)
		}
		for qi := range 200 {
			f := d.filter("")
			q := d.vector()
			if isZero(q) {
				continue
			}
			k := []int{1, 10, 50}[qi%3]
			want := ref.search(q, f)
			got := x.Search(q, f, k)
			if len(want) <= 300 {
				checkAgainst(t, fmt.Sprintf("query %d (k %d, %d matching)", qi, k, len(want)), got, want, k, maxResid(x))
				continue
			}
			// More rows match than the shortlist holds: the hits are the
			// best of a subset, with exact scores and in order.
			if len(got) != k {
				t.Fatalf("query %d: %d hits, want %d", qi, len(got), k)
			}
			checkAgainst(t, fmt.Sprintf("query %d (k %d, within the returned)", qi, k), got, got, k, 0)
			score := map[string]float64{}
			for _, h := range want {
				score[h.ID] = h.Score
			}
			for _, h := range got {
				if s, ok := score[h.ID]; !ok || math.Abs(s-h.Score) > maxResid(x) {
					t.Fatalf("query %d: hit %s scored %v, reference %v (matching %v)", qi, h.ID, h.Score, s, ok)
				}
			}
		}
	}
}

// The 512-bit distance kernels agree with the plain count, for any number
// of rows.
func TestHammings512MatchesPlainCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, avx2 := range kernels() {
		setAVX2(t, avx2)
		for _, n := range []int{0, 1, 2, 3, 7, 256, 1001} {
			q := make([]uint64, 8)
			sigs := make([]uint64, 8*n)
			for i := range q {
				q[i] = rng.Uint64()
			}
			for i := range sigs {
				switch rng.IntN(4) {
				case 0:
					sigs[i] = q[i%8] // equal words
				case 1:
					sigs[i] = ^q[i%8] // every bit differs
				default:
					sigs[i] = rng.Uint64()
				}
			}
			out := make([]uint16, n)
			hammings512(q, sigs, out)
			var want distHist
			for j := range out {
				w := hamming(q, sigs[8*j:8*j+8])
				if int(out[j]) != w {
					t.Fatalf("avx2 %v, %d rows: row %d distance %d, want %d", avx2, n, j, out[j], w)
				}
				want[w]++
			}
			// The counting kernel: the same distances, and each counted
			// once on top of what the histogram held.
			outH := make([]uint16, n)
			var hist distHist
			hist[0], want[0] = 5, want[0]+5
			hammings512Hist(q, sigs, outH, &hist)
			if !slices.Equal(outH, out) || hist != want {
				t.Fatalf("avx2 %v, %d rows: the counting kernel's distances or histogram differ", avx2, n)
			}
		}
	}
}

// Through the signature pass, the bounds and the early stop of the rerank
// change nothing: a search returns exactly what scoring every row of the
// shortlist from its codes returns, ids and scores, on random data where
// many rows fall within the bound of the k-th.
func TestSignatureSearchIsExactOnShortlist(t *testing.T) {
	const dim = 384
	lowerSigRows(t, 1000, 1536)
	shortlistPerHit = 30
	compareSearches(t, dim, 9001, rand.New(rand.NewPCG(21, 22)), "scoring the shortlist", func(x *Index, sc *scan) []mimo.VectorHit {
		s, k := sc.s, sc.k
		rows := sc.shortlist(x.sig.sign(sc.q), x.sig.words, shortlistFor(k), 1)
		top := newTopK(s.ids, k, len(rows))
		for _, r := range rows {
			top.offer(s.score(&sc.sq, int(r)), int(r), k)
		}
		return s.merge([]*topK{top}, k)
	})
}
