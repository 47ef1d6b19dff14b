package index

import (
	"cmp"
	"math"
	"slices"
	"sync"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// minChunk is the fewest rows one search goroutine scans: below it, starting
// a goroutine costs more than it saves.
const minChunk = 4096

// minQuantRows is the fewest rows for which a search makes a first pass over
// the codes; in fewer, most rows would be scored anyway. A variable so
// benchmarks can measure scoring every row.
var minQuantRows = 1024

// Search returns the k entries of f.Namespace that match f and have the
// highest cosine similarity with q, best first; equal scores are ordered by
// ID so results are deterministic. Every field of f is honoured: Categories
// (any of), Tags (all of), Since (CreatedAt >= Since), Until (CreatedAt <
// Until) and IncludeSuperseded. It returns nil when k <= 0, when q is not
// Dim() finite numbers, or when nothing matches. A zero q (the embedding of
// text without features) has cosine 0 with every entry, which ranks
// nothing, so it matches nothing either.
func (x *Index) Search(q []float32, f mimo.Filter, k int) []mimo.VectorHit {
	if k <= 0 || len(q) != x.dim {
		return nil
	}
	qn, ok := normalized(q)
	if !ok || isZero(qn) {
		return nil
	}
	m := newMatcher(f)

	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.spaces[memorykit.Namespace(f.Namespace)]
	if s == nil {
		return nil
	}
	n := len(s.ids)
	k = min(k, n)
	sc := &scan{s: s, q: qn, sq: newScorer(qn, x.words), m: &m, k: k, dim: x.dim, words: x.words}
	busy := int(x.searching.Add(1))
	defer x.searching.Add(-1)
	chunks := max(1, min(x.workers/busy, n/minChunk))
	per := (n + chunks - 1) / chunks
	tops := make([]*topK, chunks)
	if n < minQuantRows {
		parallel(chunks, func(c int) { tops[c] = sc.exact(c*per, min(n, (c+1)*per)) })
		return s.merge(tops, k)
	}
	sc.p = newProbe(qn)
	if want := shortlistFor(k); n >= minSigRows && want < n {
		// Bounding a few thousand rows takes a fraction of a
		// millisecond: one goroutine for them, after the split pass.
		rows := sc.shortlist(x.sig.sign(qn), x.sig.words, want, chunks)
		b := sc.newBounder()
		b.pt.cands = make([]cand, 0, len(rows))
		b.addAll(rows)
		parts := []part{b.pt}
		floor := kthLower(parts, k)
		return s.merge([]*topK{sc.rerank(&parts[0], floor)}, k)
	}
	parts := make([]part, chunks)
	parallel(chunks, func(c int) { parts[c] = sc.bound(c*per, min(n, (c+1)*per)) })
	floor := kthLower(parts, k)
	parallel(chunks, func(c int) { tops[c] = sc.rerank(&parts[c], floor) })
	return s.merge(tops, k)
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// parallel runs f(0) … f(n-1), all but f(0) on goroutines of their own, and
// returns when all have.
func parallel(n int, f func(c int)) {
	var wg sync.WaitGroup
	for c := 1; c < n; c++ {
		wg.Go(func() { f(c) })
	}
	f(0)
	wg.Wait()
}

// scan is one search of one space.
type scan struct {
	s     *space
	q     []float32 // unit query
	sq    scorer    // the query, for scoring rows from their codes
	p     *probe    // the query's codes, for the first pass
	m     *matcher
	k     int
	dim   int
	words int
}

// exact returns the top k of rows [lo, hi) that match the filter, scoring
// each from its codes.
func (sc *scan) exact(lo, hi int) *topK {
	s := sc.s
	t := newTopK(s.ids, sc.k, hi-lo)
	for i := lo; i < hi; i++ {
		if sc.m.active && !sc.m.match(s.flags[i], &s.meta[i]) {
			continue
		}
		t.offer(s.score(&sc.sq, i), i, sc.k)
	}
	return t
}

// part is what the first pass found in a range of rows: the k best lower
// bounds and the rows that may be in the top k.
type part struct {
	lows  lowBounds
	cands []cand
}

// cand is a row the first pass could not rule out.
type cand struct {
	pos   int
	upper float64
}

// batch is how many rows the first pass hands the code kernel at once.
const batch = 256

// bound makes the first pass over rows [lo, hi): it bounds each matching
// row's score from its codes, keeps the k best lower bounds, and sets aside
// each row whose upper bound reaches the k-th of them so far (which only
// grows, so rerank checks them again against the final one).
func (sc *scan) bound(lo, hi int) part {
	b := sc.newBounder()
	for i := lo; i < hi; i++ {
		if sc.m.active && !sc.m.match(sc.s.flags[i], &sc.s.meta[i]) {
			continue
		}
		b.add(int32(i))
	}
	b.flush()
	return b.pt
}

// bounder gathers rows for the code kernel, a batch at a time, and keeps
// what the first pass finds of them.
type bounder struct {
	sc    *scan
	pt    part
	floor float64
	rows  []int32
	dots  []int32
}

func (sc *scan) newBounder() *bounder {
	return &bounder{
		sc: sc, pt: part{lows: make(lowBounds, 0, sc.k)}, floor: math.Inf(-1),
		rows: make([]int32, 0, batch), dots: make([]int32, batch),
	}
}

// add queues row r (rows must come in ascending order).
func (b *bounder) add(r int32) {
	b.rows = append(b.rows, r)
	if len(b.rows) == batch {
		b.flush()
	}
}

// addAll bounds rows (ascending, after any queued), a batch at a time,
// without copying them into the queue.
func (b *bounder) addAll(rows []int32) {
	b.flush()
	queue := b.rows
	for len(rows) > 0 {
		b.rows = rows[:min(batch, len(rows))]
		rows = rows[len(b.rows):]
		b.flush()
	}
	b.rows = queue
}

// flush bounds the queued rows.
func (b *bounder) flush() {
	sc, s, pt := b.sc, b.sc.s, &b.pt
	sc.p.codeDots(s.codes, sc.words, s.quants, b.rows, b.dots)
	for j, r := range b.rows {
		l, u := sc.p.bounds(b.dots[j], s.quants[r])
		if u < b.floor {
			continue
		}
		pt.cands = append(pt.cands, cand{pos: int(r), upper: u})
		switch {
		case len(pt.lows) < sc.k:
			pt.lows = append(pt.lows, l)
			if len(pt.lows) == sc.k {
				pt.lows.init()
				b.floor = pt.lows[0]
			}
		case l > pt.lows[0]:
			pt.lows.replaceMin(l)
			b.floor = pt.lows[0]
		}
	}
	b.rows = b.rows[:0]
}

// kthLower returns the k-th best lower bound of all parts: at least k rows
// score that much, so no row with a smaller upper bound is in the top k.
// With fewer than k bounds every candidate stays.
func kthLower(parts []part, k int) float64 {
	var all []float64
	for _, p := range parts {
		all = append(all, p.lows...)
	}
	if len(all) < k {
		return math.Inf(-1)
	}
	slices.Sort(all)
	return all[len(all)-k]
}

// rerank scores the candidates of pt that may reach floor and
// returns their top k. It scores them in descending order of their upper
// bounds and stops at the first whose upper bound is below the k-th best
// score so far: no row after it can beat that score (a row's score never
// exceeds its upper bound), so the top k are those scoring every candidate
// gives, from about 40% of the scores at 100,000 rows (docs/BENCHMARKS.md,
// "Search CPU at 100,000").
func (sc *scan) rerank(pt *part, floor float64) *topK {
	s := sc.s
	live := pt.cands[:0]
	for _, c := range pt.cands {
		if c.upper >= floor {
			live = append(live, c)
		}
	}
	slices.SortFunc(live, func(a, b cand) int { return cmp.Compare(b.upper, a.upper) }) // highest bound first
	t := newTopK(s.ids, sc.k, len(live))
	for _, c := range live {
		if len(t.hits) == sc.k && c.upper < float64(t.hits[0].score) {
			break
		}
		t.offer(s.score(&sc.sq, c.pos), c.pos, sc.k)
	}
	return t
}

// merge combines tops into the k best, best first.
func (s *space) merge(tops []*topK, k int) []mimo.VectorHit {
	var all []hit
	for _, t := range tops {
		all = append(all, t.hits...)
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(all, func(a, b hit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(s.ids[a.pos], s.ids[b.pos])
	})
	all = all[:min(k, len(all))]
	out := make([]mimo.VectorHit, len(all))
	for i, h := range all {
		out[i] = mimo.VectorHit{ID: s.ids[h.pos], Score: float64(h.score)}
	}
	return out
}
