package index

import "container/heap"

type hit struct {
	score float32
	pos   int
}

// topK is a bounded min-heap of hits: the root is the worst hit kept, the
// one a better candidate replaces.
type topK struct {
	hits []hit
	ids  []string
}

func newTopK(ids []string, k, rows int) *topK {
	return &topK{ids: ids, hits: make([]hit, 0, max(0, min(k, rows)))}
}

// offer considers the row at pos with the given score.
func (t *topK) offer(score float32, pos, k int) {
	if len(t.hits) < k {
		// Fill without heap operations; the heap is built once, when full.
		t.hits = append(t.hits, hit{score, pos})
		if len(t.hits) == k {
			heap.Init(t)
		}
		return
	}
	root := t.hits[0]
	if score > root.score || score == root.score && t.ids[pos] < t.ids[root.pos] {
		t.hits[0] = hit{score, pos}
		heap.Fix(t, 0)
	}
}

func (t *topK) Len() int { return len(t.hits) }

// Less orders the worse hit first: lower score, or on a tie the greater ID.
func (t *topK) Less(i, j int) bool {
	a, b := t.hits[i], t.hits[j]
	if a.score != b.score {
		return a.score < b.score
	}
	return t.ids[a.pos] > t.ids[b.pos]
}

func (t *topK) Swap(i, j int) { t.hits[i], t.hits[j] = t.hits[j], t.hits[i] }
func (t *topK) Push(v any)    { t.hits = append(t.hits, v.(hit)) }
func (t *topK) Pop() any {
	last := t.hits[len(t.hits)-1]
	t.hits = t.hits[:len(t.hits)-1]
	return last
}

// lowBounds is a min-heap of the best lower bounds seen. Its methods are
// written out rather than container/heap's: the first pass updates it for
// many of its rows, and the interface calls cost more than the comparisons.
type lowBounds []float64

// init orders h as a heap.
func (h lowBounds) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// replaceMin replaces the least bound with v.
func (h lowBounds) replaceMin(v float64) {
	h[0] = v
	h.down(0)
}

func (h lowBounds) down(i int) {
	n := len(h)
	v := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r] < h[c] {
			c = r
		}
		if !(h[c] < v) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = v
}
