package index

import (
	"encoding/binary"
	"sync"
)

// A search of a namespace of at least minSigRows rows does not bound every
// row by its codes: it first ranks the matching rows by the Hamming distance
// of their signatures to the query's (sig.go), keeps the shortlistFor(k)
// nearest, and makes the code pass and the exact scoring on those alone. At
// 100,000 rows of 384 dimensions that reads 6.4 MB of signatures instead of
// 38 MB of codes.
//
// This gives up exhaustiveness: a row of the true top k whose signature is
// farther from the query's than the shortlist's last is missed. How often is
// measured, not bounded (TestShortlistRecall, and docs/BENCHMARKS.md, "A
// signature first pass"): the scores returned are those a full scan gives,
// and the rows returned are the top k of the shortlist.

// minSigRows is the fewest rows of a namespace for which a search ranks by
// signatures first; below it the exact scan is cheap. A variable so tests
// can exercise both paths on small data.
var minSigRows = 20_000

// Shortlist size: at least minShortlist rows, and shortlistPerHit rows for
// each hit asked for. 1,536 (30 a hit) keeps TestShortlistRecall's floors at
// 100,000 rows of mimobench's corpus (recall of the exact top 50 0.993, of
// its top 10 1.000) for three quarters of the code bounds 2,048 cost; 1,024
// kept 0.985 of the top 50, under the floor (docs/BENCHMARKS.md, "Search at
// 100,000: a shorter shortlist").
var (
	minShortlist    = 1536
	shortlistPerHit = 30
)

// shortlistFor returns how many rows the signature pass keeps for a search
// of the k best.
func shortlistFor(k int) int { return max(minShortlist, shortlistPerHit*k) }

// noDist marks a row the filter left out.
const noDist = ^uint16(0)

// shortlistBuf is one signature pass's scratch: the distance of every row
// and a histogram of them for each chunk. Pooled, so a search allocates
// neither (at 100,000 rows the distances are 200 KB).
type shortlistBuf struct {
	dist  []uint16
	hists []distHist
	keep  []int // rows of each chunk the shortlist keeps
	takes []int // of them, rows at the cut
}

var shortlistPool = sync.Pool{New: func() any { return new(shortlistBuf) }}

// shortlist returns the matching rows whose signatures are nearest the
// query's signature qsig, ascending, at most want of them: every row of
// distance below the cut and, of those at the cut, the first in row order.
// The rows are split over chunks goroutines.
func (sc *scan) shortlist(qsig []uint64, words, want, chunks int) []int32 {
	n := len(sc.s.ids)
	buf := shortlistPool.Get().(*shortlistBuf)
	defer shortlistPool.Put(buf)
	if cap(buf.dist) < n {
		buf.dist = make([]uint16, n)
	}
	if cap(buf.hists) < chunks {
		buf.hists = make([]distHist, chunks)
		buf.keep, buf.takes = make([]int, chunks), make([]int, chunks)
	}
	dist, hists := buf.dist[:n], buf.hists[:chunks]
	keep, takes := buf.keep[:chunks], buf.takes[:chunks]
	maxDist := 64 * words
	per := (n + chunks - 1) / chunks
	parallel(chunks, func(c int) {
		lo, hi := c*per, min(n, (c+1)*per)
		sc.distances(qsig, words, lo, hi, dist[lo:hi], &hists[c])
	})
	// The cut: the smallest distance at which want rows are reached (with
	// fewer matching rows, every one of them).
	cut, below := maxDist+1, 0
	for d := 0; d <= maxDist; d++ {
		at := 0
		for c := range hists {
			at += int(hists[c][d])
		}
		if below+at >= want {
			cut = d
			break
		}
		below += at
	}
	// What each chunk keeps: its rows below the cut, and of the rows at the
	// cut the first want-below in row order, so the first chunks' first.
	atCut := want - below
	total := 0
	for c := range hists {
		k := 0
		for d := 0; d < cut; d++ {
			k += int(hists[c][d])
		}
		take := 0
		if cut <= maxDist {
			take = min(atCut, int(hists[c][cut]))
			atCut -= take
		}
		keep[c], takes[c] = k+take, take
		total += k + take
	}
	rows := make([]int32, total)
	parallel(chunks, func(c int) {
		lo, hi := c*per, min(n, (c+1)*per)
		off := 0
		for _, k := range keep[:c] {
			off += k
		}
		collect(dist[lo:hi], int32(lo), uint16(cut), takes[c], rows[off:off+keep[c]])
	})
	return rows
}

// distances sets out (rows [lo, hi)) to each row's Hamming distance to
// qsig, noDist for the rows the filter leaves out, and h to the histogram
// of the others.
func (sc *scan) distances(qsig []uint64, words, lo, hi int, out []uint16, h *distHist) {
	s := sc.s
	clear(h[:])
	sigs := s.sigs[lo*words : hi*words]
	flags := s.flags[lo:hi]
	// The common filters (none, or no superseded rows and nothing else)
	// count every row in the kernel and take out the few superseded rows;
	// others count the rows the matcher passes.
	onlyLive := sc.m.active && !sc.m.categories && !sc.m.slow && !sc.m.includeSuperseded
	if onlyLive || !sc.m.active {
		if words == 8 {
			hammings512Hist(qsig, sigs, out, h)
		} else {
			for i := range out {
				d := uint16(hamming(qsig, sigs[i*words:(i+1)*words]))
				out[i] = d
				h[d]++
			}
		}
		if onlyLive {
			dropSuperseded(flags, out, h)
		}
		return
	}
	if words == 8 {
		hammings512(qsig, sigs, out)
	} else {
		for i := range out {
			out[i] = uint16(hamming(qsig, sigs[i*words:(i+1)*words]))
		}
	}
	if !sc.m.slow && len(sc.m.catOther) == 0 {
		// Known categories (and perhaps superseded rows) alone: the
		// matcher's test is one of the flag byte.
		var reject, want uint8
		if !sc.m.includeSuperseded {
			reject = flagSuperseded
		}
		if sc.m.categories {
			want = sc.m.catMask
		}
		for i, d := range out {
			if f := flags[i]; f&reject != 0 || want != 0 && f&want == 0 {
				out[i] = noDist
				continue
			}
			h[d]++
		}
		return
	}
	for i, d := range out {
		if !sc.m.match(flags[i], &s.meta[lo+i]) {
			out[i] = noDist
			continue
		}
		h[d]++
	}
}

// dropSuperseded sets out[i] to noDist for each superseded row i, taking
// it out of h: eight flag bytes a test, as superseded rows are few.
func dropSuperseded(flags []uint8, out []uint16, h *distHist) {
	const mask = 0x0101010101010101 * flagSuperseded
	out = out[:len(flags)]
	i := 0
	for ; i+8 <= len(flags); i += 8 {
		if binary.LittleEndian.Uint64(flags[i:i+8])&mask == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if flags[j]&flagSuperseded != 0 {
				h[out[j]]--
				out[j] = noDist
			}
		}
	}
	for ; i < len(flags); i++ {
		if flags[i]&flagSuperseded != 0 {
			h[out[i]]--
			out[i] = noDist
		}
	}
}

// collect fills out with the rows of dist (numbered from base) of distance
// below cut and the first atCut, in row order, of distance cut. It tests
// four distances a step (a row is kept from fewer than one in fifty): a
// lane of x|lanes is at least 0x8000, so subtracting cut+1 (at most 513)
// from every lane borrows across none, and leaves a lane's top bit clear
// only where the distance is at most cut (noDist, 0xFFFF, never is).
func collect(dist []uint16, base int32, cut uint16, atCut int, out []int32) {
	const lanes = 0x8000800080008000
	step := uint64(cut+1) * 0x0001000100010001
	k := 0
	i := 0
	for ; i+4 <= len(dist) && k < len(out); i += 4 {
		d := dist[i : i+4 : i+4]
		x := uint64(d[0]) | uint64(d[1])<<16 | uint64(d[2])<<32 | uint64(d[3])<<48
		if ((x|lanes)-step)&lanes == lanes {
			continue
		}
		for j, dj := range d {
			if dj < cut || dj == cut && atCut > 0 {
				if dj == cut {
					atCut--
				}
				out[k] = base + int32(i+j)
				k++
			}
		}
	}
	for ; i < len(dist) && k < len(out); i++ {
		if d := dist[i]; d < cut || d == cut && atCut > 0 {
			if d == cut {
				atCut--
			}
			out[k] = base + int32(i)
			k++
		}
	}
}
