//go:build !amd64

package index

// hammings512 sets out[j] to the Hamming distance of q (8 words) and row j
// of sigs (8 words a row), for j < len(out).
func hammings512(q, sigs []uint64, out []uint16) { hammings512Go(q, sigs, out) }

// hammings512Hist is hammings512 that also counts each distance in hist.
func hammings512Hist(q, sigs []uint64, out []uint16, hist *distHist) {
	hammings512HistGo(q, sigs, out, hist)
}
