// Package index is Mimo's in-process vector index: cosine search over
// L2-normalised vectors, partitioned by namespace, with every mimo.Filter
// field applied during the scan. A Follower keeps an Index in step with a
// mimo.Store's change log, so each process sharing a store has its own
// up-to-date index.
//
// The index keeps no float32 vectors: each row is held as 7-bit codes (one
// byte a dimension) and 4-bit codes of what those leave over (half a byte),
// and scored from them (quant.go): a score is within the row's residual of
// the exact cosine, at most about 0.0005 on Mimo's benchmark corpus at 384
// dimensions, and equal vectors still tie.
//
// Search of a namespace below 20,000 entries is brute force, made fast with
// a first pass over the 7-bit codes that bounds every row's score, so that
// only the rows whose bound reaches the k-th best are scored: it returns
// what scoring every row returns. A larger namespace is first ranked by
// 512-bit signatures (random hyperplanes, Hamming distance; see sig.go and
// shortlist.go), and only the 1,536 nearest rows (more for k above 51) go
// through the bounds and scoring: no longer exhaustive, but on Mimo's
// benchmark corpus it keeps 99.3% of the top 50 and all of the top 10 at
// 100,000 entries, for a fifth of the CPU (TestShortlistRecall). Each entry
// costs 1.5·Dim bytes of codes, a signature of Dim rounded up to a power of
// two bits, 20 bytes of quantisation figures, its ID and metadata: about
// 750 bytes at 384 dimensions.
package index

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// DefaultDim is the vector length of an Index when Options.Dim is zero.
const DefaultDim = 384

// Options configures New. The zero value is ready to use.
type Options struct {
	// Dim is the length of every vector; zero or negative means DefaultDim.
	Dim int
	// Workers is how many goroutines one search of a large namespace uses;
	// zero or negative means runtime.GOMAXPROCS(0).
	Workers int
}

// Index holds the vectors of memories, one partition per namespace: a
// search scans only its own namespace's partition. It is safe for
// concurrent use; searches run in parallel with each other and wait for
// writes.
type Index struct {
	dim     int
	words   int // code words per row
	sig     *signer
	workers int
	// searching counts the searches under way: each splits its scan over
	// the workers left to it, so that searches at once do not pay for
	// goroutines and hand-offs that gain nothing when every core is busy.
	searching atomic.Int32

	mu     sync.RWMutex
	spaces map[string]*space
	n      int
}

// space is one namespace's partition. The 7-bit codes of the vectors (see
// quant.go; the vectors themselves are not kept) live in one contiguous
// slice, row i at codes[i*words:(i+1)*words], and their signatures in
// another, with quants, flags, ids and meta as parallel slices, so a scan
// walks memory in order. Deletion moves
// the last row into the hole.
type space struct {
	words  int // code words a row
	fwords int // fine code words a row
	codes  []uint64
	fine   []uint64 // 4-bit codes of what codes leave over (refine), fwords a row
	sigs   []uint64 // signatures (sig.go), sig.words words a row
	quants []quant
	flags  []uint8
	ids    []string
	meta   []meta
	pos    map[string]int
}

// New returns an empty index.
func New(o Options) *Index {
	if o.Dim <= 0 {
		o.Dim = DefaultDim
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return &Index{dim: o.Dim, words: wordsFor(o.Dim), sig: newSigner(o.Dim), workers: o.Workers, spaces: make(map[string]*space)}
}

// Dim returns the length of the index's vectors.
func (x *Index) Dim() int { return x.dim }

// Upsert adds e, or replaces the entry with e's ID in e's namespace. The
// vector is copied and scaled to unit length (a zero vector stays zero and
// has cosine 0 with everything). It returns EINVALID for an empty ID or a
// vector that is not Dim() finite numbers.
func (x *Index) Upsert(e Entry) error {
	if e.ID == "" {
		return mimo.Errorf(mimo.EINVALID, "index: entry has no id")
	}
	if len(e.Vector) != x.dim {
		return mimo.Errorf(mimo.EINVALID, "index: vector has %d dimensions, the index has %d", len(e.Vector), x.dim)
	}
	vec, ok := normalized(e.Vector)
	if !ok {
		return mimo.Errorf(mimo.EINVALID, "index: vector of %s has a non-finite component", e.ID)
	}
	m := meta{
		created: e.CreatedAt.Round(0), tags: slices.Clone(e.Tags), category: e.Category,
		importance: e.Importance, updated: noTime,
	}
	if !e.UpdatedAt.IsZero() {
		m.updated = e.UpdatedAt.UnixNano()
	}
	fl := flagsOf(&e)
	codes := make([]uint64, x.words)
	qt := quantize(vec, codes)
	fine := make([]uint64, fineWordsFor(x.dim))
	refine(vec, codes, &qt, fine)
	sig := x.sig.sign(vec)
	ns := memorykit.Namespace(e.Namespace)

	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.spaces[ns]
	if s == nil {
		s = &space{words: x.words, fwords: fineWordsFor(x.dim), pos: make(map[string]int)}
		x.spaces[ns] = s
	}
	if i, ok := s.pos[e.ID]; ok {
		copy(s.codes[i*x.words:(i+1)*x.words], codes)
		copy(s.fine[i*s.fwords:(i+1)*s.fwords], fine)
		copy(s.sigs[i*x.sig.words:(i+1)*x.sig.words], sig)
		s.quants[i] = qt
		s.flags[i] = fl
		s.meta[i] = m
		return nil
	}
	s.pos[e.ID] = len(s.ids)
	s.ids = append(s.ids, e.ID)
	s.meta = append(s.meta, m)
	s.codes = append(s.codes, codes...)
	s.fine = append(s.fine, fine...)
	s.sigs = append(s.sigs, sig...)
	s.quants = append(s.quants, qt)
	s.flags = append(s.flags, fl)
	x.n++
	return nil
}

// Delete removes the entry id of namespace ("" means the default one); a
// missing entry is not an error.
func (x *Index) Delete(namespace, id string) {
	ns := memorykit.Namespace(namespace)
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.spaces[ns]
	if s == nil {
		return
	}
	i, ok := s.pos[id]
	if !ok {
		return
	}
	last := len(s.ids) - 1
	if i != last {
		copy(s.codes[i*x.words:(i+1)*x.words], s.codes[last*x.words:])
		copy(s.fine[i*s.fwords:(i+1)*s.fwords], s.fine[last*s.fwords:])
		copy(s.sigs[i*x.sig.words:(i+1)*x.sig.words], s.sigs[last*x.sig.words:])
		s.quants[i] = s.quants[last]
		s.flags[i] = s.flags[last]
		s.ids[i] = s.ids[last]
		s.meta[i] = s.meta[last]
		s.pos[s.ids[i]] = i
	}
	s.ids[last] = ""
	s.meta[last] = meta{} // drop references to tags for the collector
	s.ids = s.ids[:last]
	s.meta = s.meta[:last]
	s.codes = s.codes[:last*x.words]
	s.fine = s.fine[:last*s.fwords]
	s.sigs = s.sigs[:last*x.sig.words]
	s.quants = s.quants[:last]
	s.flags = s.flags[:last]
	delete(s.pos, id)
	x.n--
	if len(s.ids) == 0 {
		delete(x.spaces, ns)
	}
}

// Similarity returns the cosine similarity of q with the entry id of
// namespace as Search scores it (from the entry's codes, within its
// quantisation residual of the exact cosine; see quant.go), and false when
// there is no such entry or q is not Dim() long.
func (x *Index) Similarity(namespace, id string, q []float32) (float64, bool) {
	v, ok := x.Similarities(namespace, []string{id}, q)
	return v[0], ok[0]
}

// Similarities is Similarity for each of ids, with the query prepared once:
// scores[i] and found[i] are Similarity(namespace, ids[i], q).
func (x *Index) Similarities(namespace string, ids []string, q []float32) (scores []float64, found []bool) {
	scores, found = make([]float64, len(ids)), make([]bool, len(ids))
	if len(q) != x.dim {
		return scores, found
	}
	qn, ok := normalized(q)
	if !ok {
		return scores, found
	}
	sq := newScorer(qn, x.words)
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.spaces[memorykit.Namespace(namespace)]
	if s == nil {
		return scores, found
	}
	for j, id := range ids {
		if i, ok := s.pos[id]; ok {
			scores[j], found[j] = float64(s.score(&sq, i)), true
		}
	}
	return scores, found
}

// score returns the score of row i for the query of sq (scorer.score).
func (s *space) score(sq *scorer, i int) float32 {
	return sq.score(s.codes[i*s.words:(i+1)*s.words], s.fine[i*s.fwords:(i+1)*s.fwords], s.quants[i])
}

// noTime marks an entry stored without an UpdatedAt.
const noTime = math.MinInt64

// Ranked is what Ranking returns of one entry: the importance and last
// update time it was stored with, and false in OK when the index has no
// such entry or it was stored without an UpdatedAt.
type Ranked struct {
	Importance float64
	UpdatedAt  time.Time
	OK         bool
}

// Ranking returns, for each of ids in namespace ("" means the default
// one), the Entry.Importance and Entry.UpdatedAt the index holds: what a
// search's score takes from a memory besides its vector and words, so a
// search can rank its candidates before reading any of them.
func (x *Index) Ranking(namespace string, ids []string) []Ranked {
	out := make([]Ranked, len(ids))
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.spaces[memorykit.Namespace(namespace)]
	if s == nil {
		return out
	}
	for i, id := range ids {
		if p, ok := s.pos[id]; ok && s.meta[p].updated != noTime {
			m := &s.meta[p]
			out[i] = Ranked{Importance: m.importance, UpdatedAt: time.Unix(0, m.updated), OK: true}
		}
	}
	return out
}

// Len returns the number of entries in every namespace.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// NamespaceLen returns the number of entries of namespace ("" means the
// default one).
func (x *Index) NamespaceLen(namespace string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.spaces[memorykit.Namespace(namespace)]; s != nil {
		return len(s.ids)
	}
	return 0
}

// normalized returns a unit-length copy of v (all zeros for a zero v), and
// false if v has a NaN or infinite component.
func normalized(v []float32) ([]float32, bool) {
	var sum float64
	for _, f := range v {
		sum += float64(f) * float64(f)
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return nil, false
	}
	out := make([]float32, len(v))
	if sum == 0 {
		return out, true
	}
	inv := 1 / math.Sqrt(sum)
	for i, f := range v {
		out[i] = float32(float64(f) * inv)
	}
	return out, true
}
