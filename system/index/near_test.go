package index

import (
	"fmt"
	"testing"
)

// NearestAbove against what the near-duplicate check did before it, one
// Search(q, f, 2) per query, skipping the query's own ID: the same answer
// for every query, on both sides of minQuantRows, with both kernels.
func TestNearestAboveMatchesSearch(t *testing.T) {
	for _, avx2 := range kernels() {
		for _, n := range []int{300, 3000} {
			for _, workers := range []int{1, 2} {
				t.Run(fmt.Sprintf("avx2=%v/n=%d/workers=%d", avx2, n, workers), func(t *testing.T) {
					setAVX2(t, avx2)
					d := newDataset(uint64(n+workers), 64)
					x := New(Options{Dim: 64, Workers: workers})
					var ids []string
					for i := range n {
						e := d.entry(fmt.Sprintf("m%05d", i), "ns")
						if err := x.Upsert(e); err == nil {
							ids = append(ids, e.ID)
						}
					}
					var found int
					for round := range 30 {
						f := d.filter("ns")
						qs := make([][]float32, 40)
						skip := make([]string, len(qs))
						for i := range qs {
							qs[i] = d.vector()
							if i%3 == 0 {
								skip[i] = ids[d.rng.IntN(len(ids))]
							}
						}
						for _, min := range []float64{0.95, 0.3, -1} {
							got := x.NearestAbove(qs, skip, f, min)
							for i, q := range qs {
								want := ""
								for _, h := range x.Search(q, f, 2) {
									if h.ID == skip[i] {
										continue
									}
									if h.Score >= min {
										want = h.ID
									}
									break
								}
								if got[i] != want {
									t.Fatalf("round %d, query %d, min %v: got %q, want %q", round, i, min, got[i], want)
								}
								if want != "" && min == 0.95 {
									found++
								}
							}
						}
					}
					if found == 0 {
						t.Fatal("no query had a near-duplicate: the test checks nothing")
					}
				})
			}
		}
	}
}
