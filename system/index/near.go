package index

import (
	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// NearestAbove returns, for each query qs[i], the ID of the entry of
// f.Namespace that matches f and has the highest cosine similarity with
// qs[i] of those at or above minScore, equal scores going to the smaller ID
// as in Search; the entry whose ID is skip[i] never counts (skip may be nil
// or hold ""). The answer for a query is "" when no entry reaches minScore,
// or when the query is not Dim() finite numbers or is zero. It returns the
// same IDs as one Search(qs[i], f, 2) per query filtered the same way, in
// one pass: the rows matching f are listed once, and every query reads a
// block of their codes while it is in cache, so a batch's near-duplicate
// check costs far less than a search per item.
func (x *Index) NearestAbove(qs [][]float32, skip []string, f mimo.Filter, minScore float64) []string {
	out := make([]string, len(qs))
	type query struct {
		i    int
		q    []float32
		sq   scorer
		p    *probe
		best int
		top  float32
	}
	var live []*query
	for i, q := range qs {
		if len(q) != x.dim {
			continue
		}
		qn, ok := normalized(q)
		if !ok || isZero(qn) {
			continue
		}
		live = append(live, &query{i: i, q: qn, sq: newScorer(qn, x.words), best: -1})
	}
	if len(live) == 0 {
		return out
	}
	m := newMatcher(f)

	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.spaces[memorykit.Namespace(f.Namespace)]
	if s == nil {
		return out
	}
	rows := make([]int32, 0, len(s.ids))
	for i := range s.ids {
		if !m.active || m.match(s.flags[i], &s.meta[i]) {
			rows = append(rows, int32(i))
		}
	}
	quantized := len(s.ids) >= minQuantRows
	consider := func(qy *query, r int32) {
		d := s.score(&qy.sq, int(r))
		if float64(d) < minScore || (skip != nil && s.ids[r] == skip[qy.i]) {
			return
		}
		if qy.best < 0 || d > qy.top || d == qy.top && s.ids[r] < s.ids[qy.best] {
			qy.best, qy.top = int(r), d
		}
	}
	workers := max(1, min(x.workers, len(live)))
	per := (len(live) + workers - 1) / workers
	parallel(workers, func(c int) {
		mine := live[min(c*per, len(live)):min((c+1)*per, len(live))]
		if !quantized {
			for _, qy := range mine {
				for _, r := range rows {
					consider(qy, r)
				}
			}
			return
		}
		for _, qy := range mine {
			qy.p = newProbe(qy.q)
		}
		dots := make([]int32, batch)
		for lo := 0; lo < len(rows); lo += batch {
			blk := rows[lo:min(lo+batch, len(rows))]
			for _, qy := range mine {
				qy.p.codeDots(s.codes, x.words, s.quants, blk, dots)
				for j, r := range blk {
					// The upper bound rules out almost every row: only
					// near-duplicates are scored exactly.
					if _, hi := qy.p.bounds(dots[j], s.quants[r]); hi >= minScore {
						consider(qy, r)
					}
				}
			}
		}
	})
	for _, qy := range live {
		if qy.best >= 0 {
			out[qy.i] = s.ids[qy.best]
		}
	}
	return out
}
