package index

import (
	"encoding/binary"
	"math"
	"slices"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// Search returns the k documents of f.Namespace that match f and share the
// most telling terms with the plain user text query, best first by BM25
// (TextHit.Rank, larger is better, > 0); equal ranks are ordered by ID
// descending, as the stores order theirs. query is reduced to its search
// words as the stores reduce it (mimo.SearchWords), and each to its term
// (terms.go), so a document matches when it holds any of them. Every field
// of f is honoured, as in Index.Search. It returns nil when k <= 0, when
// the query has no indexed term (no words, or stop words only) or when
// nothing matches.
//
// Every match is ranked, however many. A term's weight is its inverse
// document frequency among all the namespace's documents,
// ln(1 + (N - n + 0.5)/(n + 0.5)) for N documents of which n hold it, so
// filters narrow what is returned, not how it is weighed.
func (x *Text) Search(query string, f mimo.Filter, k int) []mimo.TextHit {
	if k <= 0 {
		return nil
	}
	terms := queryTerms(query)
	if len(terms) == 0 {
		return nil
	}
	m := newMatcher(f)

	// The buffer is taken before the lock: a search waiting for one must
	// not hold up writers.
	b := <-x.bufs
	defer func() { x.bufs <- b }()
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.spaces[memorykit.Namespace(f.Namespace)]
	if s == nil {
		return nil
	}
	lists := make([]*postings, 0, len(terms))
	for _, t := range terms {
		if p := s.terms[t]; p != nil {
			lists = append(lists, p)
		}
	}
	if len(lists) == 0 {
		return nil
	}
	n := float64(s.live)
	avg := math.Max(float64(s.total)/n, 1)
	// Per term: its idf times (k1+1), the numerator of the tf part.
	w := make([]float64, len(lists))
	for i, p := range lists {
		df := len(p.docs)
		if s.nDead > 0 {
			df = 0
			for _, d := range p.docs {
				if !s.isDead(d) {
					df++
				}
			}
		}
		w[i] = math.Log(1+(n-float64(df)+0.5)/(float64(df)+0.5)) * (x.k1 + 1)
	}
	// Length norms: k1·(1 - b + b·len/avg) for each possible len would be a
	// table; computed per match it is a multiply-add.
	c0, c1 := x.k1*(1-x.b), x.k1*x.b/avg

	top := &textTop{ids: s.ids, keys: s.keys, k: k}
	s.rank(b, lists, w, c0, c1, &m, top)
	return top.sorted()
}

// rankBlock is how many documents' scores rank sums at a time: 64 KB of
// scores and 16 KB of lengths, which stay in the processor's cache while
// every list's postings in the block are added up. Summed over the whole
// namespace at once, each posting was a cache miss past about 100,000
// documents.
const rankBlock = 1 << 13

// rankBuf is one search's scratch space: a block's scores (zero: not
// matched), the documents matched, the lists' places, and the selection's
// buffers. A Text keeps one per processor, and a search waits for one
// (see Text.bufs).
type rankBuf struct {
	acc     [rankBlock]float64
	touched []uint32
	kept    []uint32
	scores  []float64
	best    []float64
	at      []int
}

// rank offers top the documents of s that hold a term of lists, match m
// and are live, as far as they can enter top. w is each list's
// idf·(k1+1), and c0 + c1·len a document's length norm.
//
// Scores are summed a term at a time, a block of documents at a time, in
// query-term order (the order a document-at-a-time merge adds them in, so
// the same floats). Choosing the k best then takes two passes: the k-th
// best score by value alone (a heap of floats), then only the documents
// at or above it are offered to top, which breaks ties by ID. Ties are
// common in BM25 (every short memory holding one rare word scores alike),
// and offered in the order matched, which is the order stored and near the
// order of time-ordered IDs, each tie would have displaced the last.
// Offering them in reverse, most lose at the first comparison.
func (s *textSpace) rank(b *rankBuf, lists []*postings, w []float64, c0, c1 float64, m *matcher, top *textTop) {
	// Every contribution is > 0 (idf > 0, tf >= 1), so 0 means unmatched.
	acc, lens := &b.acc, s.lens
	at := append(b.at[:0], make([]int, len(lists))...)
	kept, scores, best := b.kept[:0], b.scores[:0], b.best[:0]
	for {
		// The next block holding a posting not yet read.
		next := uint32(math.MaxUint32)
		for i, p := range lists {
			if at[i] < len(p.docs) {
				next = min(next, p.docs[at[i]])
			}
		}
		if next == math.MaxUint32 {
			break
		}
		base := next &^ (rankBlock - 1)
		end := base + rankBlock
		touched := b.touched[:0]
		for i, p := range lists {
			wi, docs, tfs := w[i], p.docs, p.tfs[:len(p.docs)]
			j := at[i]
			for ; j < len(docs) && docs[j] < end; j++ {
				doc := docs[j]
				tf := float64(tfs[j])
				norm := c0 + c1*float64(lens[doc])
				if acc[doc-base] == 0 {
					touched = append(touched, doc)
				}
				acc[doc-base] += wi * tf / (tf + norm)
			}
			at[i] = j
		}
		for _, doc := range touched {
			score := acc[doc-base]
			acc[doc-base] = 0
			if s.nDead > 0 && s.isDead(doc) || m.active && !m.match(s.flags[doc], &s.meta[doc]) {
				continue
			}
			kept = append(kept, doc)
			scores = append(scores, score)
			best = pushBest(best, top.k, score)
		}
		b.touched = touched
	}
	threshold := math.Inf(-1)
	if len(best) == top.k {
		threshold = best[0]
	}
	for i := len(kept) - 1; i >= 0; i-- {
		if scores[i] >= threshold {
			top.offer(scores[i], kept[i])
		}
	}
	b.kept, b.scores, b.best, b.at = kept, scores, best, at
}

// pushBest adds v to best, a min-heap of at most k values, keeping the k
// largest: best[0] is then the k-th largest value seen.
func pushBest(best []float64, k int, v float64) []float64 {
	if len(best) < k {
		best = append(best, v)
		for i := len(best) - 1; i > 0; {
			p := (i - 1) / 2
			if best[p] <= best[i] {
				break
			}
			best[p], best[i] = best[i], best[p]
			i = p
		}
		return best
	}
	if v <= best[0] {
		return best
	}
	best[0] = v
	for i := 0; ; {
		l := 2*i + 1
		if l >= k {
			return best
		}
		j := l
		if r := l + 1; r < k && best[r] < best[l] {
			j = r
		}
		if best[i] <= best[j] {
			return best
		}
		best[i], best[j] = best[j], best[i]
		i = j
	}
}

// textTop keeps the k best documents seen: a min-heap whose root is the
// worst kept, the one a better document replaces.
type textTop struct {
	ids  []string
	keys []idKey // of ids
	k    int
	hits []textHit
}

type textHit struct {
	score float64
	doc   uint32
}

// worse reports whether a ranks below b: a lower score, or on a tie the
// smaller ID.
func (t *textTop) worse(a, b textHit) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	if ka, kb := t.keys[a.doc], t.keys[b.doc]; ka != kb {
		return ka.less(kb)
	}
	return t.ids[a.doc] < t.ids[b.doc]
}

// idKey is an ID's first 16 bytes, zero-padded, as two big-endian words.
// Two IDs whose keys differ compare as their keys do, without a look at
// the strings, whose bytes are elsewhere in memory.
type idKey struct{ hi, lo uint64 }

func keyOf(id string) idKey {
	var b [16]byte
	copy(b[:], id)
	return idKey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (a idKey) less(b idKey) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (t *textTop) offer(score float64, doc uint32) {
	h := textHit{score, doc}
	if len(t.hits) < t.k {
		t.hits = append(t.hits, h)
		if len(t.hits) == t.k {
			for i := t.k/2 - 1; i >= 0; i-- {
				t.down(i)
			}
		}
		return
	}
	// Most documents fall below the root: one comparison and out.
	if score < t.hits[0].score || !t.worse(t.hits[0], h) {
		return
	}
	t.hits[0] = h
	t.down(0)
}

// down restores the heap below i (container/heap's, without its interface
// calls, which cost more than the comparisons).
func (t *textTop) down(i int) {
	n := len(t.hits)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && t.worse(t.hits[r], t.hits[l]) {
			j = r
		}
		if !t.worse(t.hits[j], t.hits[i]) {
			return
		}
		t.hits[i], t.hits[j] = t.hits[j], t.hits[i]
		i = j
	}
}

// sorted returns the hits kept, best first.
func (t *textTop) sorted() []mimo.TextHit {
	if len(t.hits) == 0 {
		return nil
	}
	slices.SortFunc(t.hits, func(a, b textHit) int {
		switch {
		case t.worse(b, a):
			return -1
		case t.worse(a, b):
			return 1
		}
		return 0
	})
	out := make([]mimo.TextHit, len(t.hits))
	for i, h := range t.hits {
		out[i] = mimo.TextHit{ID: t.ids[h.doc], Rank: h.score}
	}
	return out
}
