package index

import (
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

	top := &textTop{ids: s.ids, k: k}
	// Merge the lists by ordinal: each document is met once, with the
	// counts of every query term it holds.
	cur := make([]int, len(lists))
	for {
		doc := uint32(math.MaxUint32)
		for i, p := range lists {
			if cur[i] < len(p.docs) && p.docs[cur[i]] < doc {
				doc = p.docs[cur[i]]
			}
		}
		if doc == math.MaxUint32 {
			break
		}
		norm := c0 + c1*float64(s.lens[doc])
		score := 0.0
		for i, p := range lists {
			if j := cur[i]; j < len(p.docs) && p.docs[j] == doc {
				tf := float64(p.tfs[j])
				score += w[i] * tf / (tf + norm)
				cur[i]++
			}
		}
		if s.nDead > 0 && s.isDead(doc) || m.active && !m.match(s.flags[doc], &s.meta[doc]) {
			continue
		}
		top.offer(score, doc)
	}
	return top.sorted()
}

// textTop keeps the k best documents seen: a min-heap whose root is the
// worst kept, the one a better document replaces.
type textTop struct {
	ids  []string
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
	return t.ids[a.doc] < t.ids[b.doc]
}

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
