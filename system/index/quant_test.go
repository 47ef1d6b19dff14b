package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rowCodes decodes the signed codes of a row.
func rowCodes(words []uint64, dim int) []int {
	out := make([]int, dim)
	for i := range out {
		out[i] = int((words[i/8]>>(8*(i%8)))&0xFF) - codeOffset
	}
	return out
}

// queryCodes decodes the signed codes a probe multiplies rows by.
func queryCodes(p *probe) []int {
	out := make([]int, p.dim)
	for i := range out {
		if p.avx2 {
			out[i] = int(p.signed[i])
			continue
		}
		w, j := i/8, i%8
		m := p.even[w]
		if j%2 == 1 {
			m = p.odd[w]
		}
		out[i] = int((m>>(48-16*(j/2)))&0xFF) - codeOffset
	}
	return out
}

// Vectors whose components are all at the extremes make every code ±max,
// the largest products the lanes must hold without carrying or saturating.
func extremeVector(dim int, rng *rand.Rand) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = 1
		if rng.IntN(2) == 0 {
			v[i] = -1
		}
	}
	return v
}

func TestCodeKernelsMatchNaiveProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, avx2 := range kernels() {
		for _, dim := range []int{1, 8, 31, 33, 40, 96, 100, 384, 1000, 4096} {
			for trial := range 20 {
				mk := randomVector
				if trial%4 == 0 {
					mk = extremeVector
				}
				n := 1 + rng.IntN(5)
				words := wordsFor(dim)
				codes := make([]uint64, n*words)
				quants := make([]quant, n)
				for r := range n {
					quants[r] = quantize(mk(dim, rng), codes[r*words:(r+1)*words])
				}
				p := makeProbe(mk(dim, rng), avx2)
				rows := make([]int32, 0, n)
				for r := range n {
					if r == 0 || rng.IntN(3) != 0 { // a sparse, ascending subset
						rows = append(rows, int32(r))
					}
				}
				out := make([]int32, len(rows))
				p.codeDots(codes, words, quants, rows, out)
				qc := queryCodes(p)
				for j, r := range rows {
					rc := rowCodes(codes[int(r)*words:(int(r)+1)*words], dim)
					want, sum := 0, 0
					for i := range dim {
						want += qc[i] * rc[i]
						sum += rc[i]
					}
					if int(out[j]) != want {
						t.Fatalf("avx2 %v dim %d trial %d row %d: code product %d, want %d", avx2, dim, trial, r, out[j], want)
					}
					if int(quants[r].sum) != sum {
						t.Fatalf("row %d: code sum %d, want %d", r, quants[r].sum, sum)
					}
				}
			}
		}
	}
}

func TestQuantizeResidual(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, v := range [][]float32{randomVector(100, rng), extremeVector(100, rng), make([]float32, 100), {0, 0, 5, 0}} {
		words := make([]uint64, wordsFor(len(v)))
		q := quantize(v, words)
		codes := rowCodes(words, len(v))
		var r float64
		for i, x := range v {
			if codes[i] < -rowLevels || codes[i] > rowLevels {
				t.Fatalf("code %d out of range", codes[i])
			}
			d := float64(x) - float64(q.scale)*float64(codes[i])
			r += d * d
		}
		if math.Abs(math.Sqrt(r)-float64(q.resid)) > 1e-6 {
			t.Fatalf("residual %v, want %v", q.resid, math.Sqrt(r))
		}
		// Padding codes are zero, whatever the row: they must add nothing.
		for i := len(v); i < 8*len(words); i++ {
			if b := (words[i/8] >> (8 * (i % 8))) & 0xFF; b != 0 {
				t.Fatalf("padding byte %d is %d", i, b)
			}
		}
	}
}

// The bounds must hold for every query, including the worst one: a query
// along what quantisation threw away of the row.
func TestBoundsHold(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, avx2 := range kernels() {
		for _, dim := range []int{7, 64, 384} {
			for trial := range 300 {
				var v []float32
				switch trial % 5 {
				case 0:
					v = extremeVector(dim, rng)
				case 1:
					v = make([]float32, dim)
					v[rng.IntN(dim)] = 1
				default:
					v = randomVector(dim, rng)
				}
				v, _ = normalized(v)
				words := make([]uint64, wordsFor(dim))
				r := quantize(v, words)
				codes := rowCodes(words, dim)
				resid := make([]float32, dim)
				for i := range v {
					resid[i] = v[i] - r.scale*float32(codes[i])
				}
				queries := [][]float32{randomVector(dim, rng), v, resid, neg(resid), mix(v, resid, 50)}
				for qi, q := range queries {
					qn, _ := normalized(q)
					p := makeProbe(qn, avx2)
					out := make([]int32, 1)
					p.codeDots(words, len(words), []quant{r}, []int32{0}, out)
					lo, hi := p.bounds(out[0], r)
					exact := cosine64(qn, v)
					if exact < lo || exact > hi {
						t.Fatalf("avx2 %v dim %d trial %d query %d: cosine %v outside [%v, %v]", avx2, dim, trial, qi, exact, lo, hi)
					}
				}
			}
		}
	}
}

func neg(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

func mix(a, b []float32, w float32) []float32 {
	out := make([]float32, len(a))
	for i := range a {
		out[i] = a[i] + w*b[i]
	}
	return out
}

func TestDotMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, n := range []int{0, 1, 7, 8, 9, 384, 1001} {
		a, b := randomVector(n, rng), randomVector(n, rng)
		var want float64
		for i := range a {
			want += float64(a[i]) * float64(b[i])
		}
		if got := float64(dot(a, b)); math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Fatalf("n %d: dot %v, want %v", n, got, want)
		}
	}
}

// A row's score from its codes and fine codes is within the row's
// fineResid of the exact cosine, and fineResid is well below the coarse
// residual, for dimensions that fill the code words and that do not.
func TestScoreFromCodesWithinResidual(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dim := range []int{1, 7, 16, 40, 100, 384} {
		words := make([]uint64, wordsFor(dim))
		fine := make([]uint64, fineWordsFor(dim))
		var coarse, finer float64
		for range 200 {
			v, _ := normalized(randomVector(dim, rng))
			q, _ := normalized(randomVector(dim, rng))
			if rng.IntN(4) == 0 {
				q = v // a row's own vector: cosine 1
			}
			r := quantize(v, words)
			refine(v, words, &r, fine)
			sq := newScorer(q, len(words))
			got := float64(sq.score(words, fine, r))
			want := cosine64(q, v)
			if math.Abs(got-want) > float64(r.fineResid)+2e-5 {
				t.Fatalf("dim %d: score %v, cosine %v, more than the residual %v apart", dim, got, want, r.fineResid)
			}
			coarse += float64(r.resid)
			finer += float64(r.fineResid)
		}
		if dim > 1 && finer > coarse/8 {
			t.Fatalf("dim %d: fine residual %v is not well below the coarse %v", dim, finer/200, coarse/200)
		}
	}
}

// The AVX2 score kernel gives the portable code's partial sums bit for bit
// (same products, same order of additions), for any number of code and
// fine words and any code bytes, so a score does not depend on the machine.
func TestScoreKernelMatchesGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(31, 32))
	for _, dim := range []int{1, 15, 16, 17, 31, 40, 100, 384, 385, 1000} {
		words, fwords := wordsFor(dim), fineWordsFor(dim)
		for range 50 {
			q := make([]float32, dim)
			for i := range q {
				q[i] = float32(rng.NormFloat64())
			}
			sq := newScorer(q, words)
			row := make([]uint64, words)
			fine := make([]uint64, fwords)
			if rng.IntN(2) == 0 {
				// A real row: codes and fine codes of a vector.
				v, _ := normalized(randomVector(dim, rng))
				r := quantize(v, row)
				refine(v, row, &r, fine)
			} else {
				for i := range row {
					row[i] = rng.Uint64()
				}
				for i := range fine {
					fine[i] = rng.Uint64()
				}
			}
			want := sq.scoreSumsGo(row, fine)
			var got [8]float32
			scoreSumsAVX2(&sq.q[0], &row[0], len(row), &fine[0], len(fine), &got)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dim %d: kernel sums %v, portable %v", dim, got, want)
				}
			}
		}
	}
}
