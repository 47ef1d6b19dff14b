package index

import (
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

// distPool recycles the per-row distance buffers of the signature pass.
var distPool = sync.Pool{New: func() any { return new([]uint16) }}

// shortlist returns the matching rows whose signatures are nearest the
// query's signature qsig, ascending, at most want of them: every row of
// distance below the cut and, of those at the cut, the first in row order.
// The rows are split over chunks goroutines.
func (sc *scan) shortlist(qsig []uint64, words, want, chunks int) []int32 {
	s := sc.s
	n := len(s.ids)
	bp := distPool.Get().(*[]uint16)
	defer distPool.Put(bp)
	if cap(*bp) < n {
		*bp = make([]uint16, n)
	}
	dist := (*bp)[:n]
	maxDist := 64 * words
	hists := make([][]int32, chunks)
	per := (n + chunks - 1) / chunks
	parallel(chunks, func(c int) {
		h := make([]int32, maxDist+1)
		lo, hi := c*per, min(n, (c+1)*per)
		sigs := s.sigs[lo*words : hi*words]
		flags := s.flags[lo:hi]
		out := dist[lo:hi]
		// Every row's distance first (a kernel over contiguous rows), then
		// the filter: most searches leave out only superseded rows.
		if words == 8 {
			hammings512(qsig, sigs, out)
		} else {
			for i := range out {
				out[i] = uint16(hamming(qsig, sigs[i*words:(i+1)*words]))
			}
		}
		// The common filter (no superseded rows, nothing else) is a test
		// of the flag byte; others take the matcher.
		onlyLive := sc.m.active && !sc.m.categories && !sc.m.slow && !sc.m.includeSuperseded
		for i, d := range out {
			if onlyLive {
				if flags[i]&flagSuperseded != 0 {
					out[i] = noDist
					continue
				}
			} else if sc.m.active && !sc.m.match(flags[i], &s.meta[lo+i]) {
				out[i] = noDist
				continue
			}
			h[d]++
		}
		hists[c] = h
	})
	// The cut: the smallest distance at which want rows are reached (with
	// fewer matching rows, every one of them).
	cut, below := maxDist+1, 0
	for d := 0; d <= maxDist; d++ {
		at := 0
		for _, h := range hists {
			at += int(h[d])
		}
		if below+at >= want {
			cut = d
			break
		}
		below += at
	}
	atCut := want - below
	rows := make([]int32, 0, want)
	c := uint16(cut)
	for i, d := range dist {
		switch {
		case d < c:
			rows = append(rows, int32(i))
		case d == c && atCut > 0:
			rows = append(rows, int32(i))
			atCut--
		}
	}
	return rows
}
