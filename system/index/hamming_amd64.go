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

// hamming512HistAVX2 is hamming512AVX2 that also adds one to hist[out[j]]
// for each j (hist has at least 513 entries).
//
//go:noescape
func hamming512HistAVX2(sigs *uint64, q *uint64, n int, out *uint16, hist *int32)

// hammings512Hist is hammings512 that also counts each distance in hist,
// with the AVX2 kernel when the machine has it.
func hammings512Hist(q, sigs []uint64, out []uint16, hist *distHist) {
	if len(out) == 0 {
		return
	}
	if len(q) != 8 || len(sigs) < 8*len(out) {
		panic("index: hammings512Hist out of range")
	}
	if hasAVX2 {
		hamming512HistAVX2(&sigs[0], &q[0], len(out), &out[0], &hist[0])
		return
	}
	hammings512HistGo(q, sigs, out, hist)
}
