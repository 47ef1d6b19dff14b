package index

import (
	"math/bits"
	"math/rand/v2"
)

// Signatures make the first pass of a search of a large namespace cheap: one
// bit a hyperplane, 512 bits (64 bytes) a row (fewer below 512 dimensions:
// the dimension rounded up to a power of two, at least 64), against the 384
// bytes of its codes at 384 dimensions. The angle between two vectors is estimated by the
// share of hyperplanes that separate them (Charikar's random-hyperplane
// hash), so the Hamming distance of two signatures ranks rows roughly as
// their cosine with the query does; the rows of the smallest distances are
// then bounded by their codes and scored, as in a full scan.
//
// The hyperplanes are the rows of a randomised Hadamard transform (random
// signs, then Hadamard) of the vector padded to a power of two: O(P log P) to sign a vector of P padded dimensions rather than the
// O(P·dim) of drawn Gaussian hyperplanes, and as good for ranking. The
// random signs come from a fixed seed, so a signature depends only on its
// vector.

// sigBitsMax caps a signature's length: the first sigBitsMax of the
// transformed coordinates are kept. 256 bits kept 93% of the top 50 at
// 100,000 memories of the benchmark corpus, 512 bits 99.5%.
const sigBitsMax = 512

// sigSeed fixes the transform's random signs.
const sigSeed = 0x6d696d6f // "mimo"

// signer is an index's signature transform.
type signer struct {
	dim   int
	pad   int      // dim rounded up to a power of two, at least 64
	words int      // pad/64: uint64 words a signature
	signs [][]int8 // one ±1 a padded dimension, for each round
}

// sigRounds is how many sign-flip and Hadamard rounds mix a vector. One
// makes each hyperplane a random ±1 combination of all dimensions; a second
// (measured at 100,000 memories of the benchmark corpus) kept no more of
// the top 50 and doubled the cost of signing.
const sigRounds = 1

func newSigner(dim int) *signer {
	pad := 64
	for pad < dim {
		pad *= 2
	}
	s := &signer{dim: dim, pad: pad, words: min(pad, sigBitsMax) / 64}
	rng := rand.New(rand.NewPCG(sigSeed, uint64(dim)))
	for range sigRounds {
		r := make([]int8, pad)
		for i := range r {
			r[i] = int8(1 - 2*int(rng.Uint64()&1))
		}
		s.signs = append(s.signs, r)
	}
	return s
}

// sign returns the signature of v (len dim): bit i is set when the i-th
// transformed coordinate is positive.
func (s *signer) sign(v []float32) []uint64 {
	buf := make([]float32, s.pad)
	out := make([]uint64, s.words)
	copy(buf, v)
	clear(buf[len(v):])
	for _, r := range s.signs {
		for i, c := range r {
			if c < 0 {
				buf[i] = -buf[i]
			}
		}
		hadamard(buf)
	}
	for i, x := range buf[:64*s.words] {
		if x > 0 {
			out[i/64] |= 1 << (i % 64)
		}
	}
	return out
}

// hadamard applies the unnormalised Walsh–Hadamard transform to x in place;
// len(x) must be a power of two.
func hadamard(x []float32) {
	n := len(x)
	for h := 1; h < n; h *= 2 {
		for i := 0; i < n; i += 2 * h {
			a := x[i : i+h : i+h]
			b := x[i+h : i+2*h : i+2*h]
			for j := range a {
				u, w := a[j], b[j]
				a[j], b[j] = u+w, u-w
			}
		}
	}
}

// hamming returns the number of bits in which a and b differ; b must be at
// least as long as a.
func hamming(a, b []uint64) int {
	b = b[:len(a)]
	n := 0
	i := 0
	for ; i+4 <= len(a); i += 4 {
		n += bits.OnesCount64(a[i]^b[i]) + bits.OnesCount64(a[i+1]^b[i+1]) +
			bits.OnesCount64(a[i+2]^b[i+2]) + bits.OnesCount64(a[i+3]^b[i+3])
	}
	for ; i < len(a); i++ {
		n += bits.OnesCount64(a[i] ^ b[i])
	}
	return n
}

// hammings512Go is the portable hammings512.
func hammings512Go(q, sigs []uint64, out []uint16) {
	q = q[:8:8]
	for j := range out {
		r := sigs[8*j : 8*j+8 : 8*j+8]
		out[j] = uint16(bits.OnesCount64(q[0]^r[0]) + bits.OnesCount64(q[1]^r[1]) +
			bits.OnesCount64(q[2]^r[2]) + bits.OnesCount64(q[3]^r[3]) +
			bits.OnesCount64(q[4]^r[4]) + bits.OnesCount64(q[5]^r[5]) +
			bits.OnesCount64(q[6]^r[6]) + bits.OnesCount64(q[7]^r[7]))
	}
}

// distHist counts rows by the Hamming distance of their signature to the
// query's: entry d for distance d, up to sigBitsMax.
type distHist [sigBitsMax + 1]int32

// hammings512HistGo is the portable hammings512Hist.
func hammings512HistGo(q, sigs []uint64, out []uint16, hist *distHist) {
	hammings512Go(q, sigs, out)
	for _, d := range out {
		hist[d]++
	}
}
