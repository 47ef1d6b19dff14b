package index

// hamming512AVX2 sets out[j], for j < n, to the Hamming distance of the 512
// bits at sigs[8*j:] and the 512 bits at q.
//
//go:noescape
func hamming512AVX2(sigs *uint64, q *uint64, n int, out *uint16)

// hammings512 sets out[j] to the Hamming distance of q (8 words) and row j
// of sigs (8 words a row), for j < len(out), with the AVX2 kernel when the
// machine has it (hasAVX2, which tests turn off).
func hammings512(q, sigs []uint64, out []uint16) {
	if len(out) == 0 {
		return
	}
	if len(q) != 8 || len(sigs) < 8*len(out) {
		panic("index: hammings512 out of range")
	}
	if hasAVX2 {
		hamming512AVX2(&sigs[0], &q[0], len(out), &out[0])
		return
	}
	hammings512Go(q, sigs, out)
}
