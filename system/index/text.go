package index

import (
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// BM25's defaults (see TextOptions). k1 is the usual; b is less than the
// usual 0.75 because a memory is one statement, and a longer one is more
// often more specific than padded (the Postgres store's reasoning, kept so
// the ranking stays what it was).
const (
	DefaultK1 = 1.2
	DefaultB  = 0.3
)

// Compaction: a namespace's deleted documents stay in its postings, skipped
// by searches, until they are at least minCompact and a quarter of its
// documents; then its postings are rewritten without them.
const minCompact = 256

// maxTF and maxDocLen are where a term's count in one memory and a memory's
// count of terms stop growing; both are far beyond what a memory holds
// (mimo.MaxContentBytes), and BM25 barely moves there.
const (
	maxTF     = 1<<8 - 1
	maxDocLen = 1<<16 - 1
)

// TextOptions configures NewText. The zero value is ready to use.
type TextOptions struct {
	// K1 and B are BM25's parameters: K1 (> 0) is how fast repeats of a
	// word in one memory stop adding to its score, B (in [0, 1]) how much a
	// memory longer than its namespace's average is discounted. Zero or
	// out-of-range values mean DefaultK1 and DefaultB.
	K1, B float64
}

// TextDoc is what the text index keeps of one memory: its words (Content,
// which is not kept, only its terms) and the fields a mimo.Filter can test.
type TextDoc struct {
	ID         string
	Namespace  string // "" means mimo.DefaultNamespace
	Content    string
	Category   mimo.Category
	Tags       []string
	CreatedAt  time.Time
	Superseded bool
}

// TextDocFromMemory returns the TextDoc of m, and false when m is nil.
func TextDocFromMemory(m *mimo.Memory) (TextDoc, bool) {
	if m == nil {
		return TextDoc{}, false
	}
	return TextDoc{
		ID:         m.ID,
		Namespace:  m.Namespace,
		Content:    m.Content,
		Category:   m.Category,
		Tags:       m.Tags,
		CreatedAt:  m.CreatedAt,
		Superseded: m.SupersededBy != "",
	}, true
}

// Text is Mimo's in-process full-text index: an inverted index of the terms
// of memories (see terms.go), partitioned by namespace, ranked by BM25, with
// every mimo.Filter field applied during the search. A Follower given it in
// FollowerOptions.Text keeps it in step with a store's change log, as it
// does the vector index, so the store only keeps the memories and never
// ranks them.
//
// It keeps no content: per memory its ID, its length in terms, its filter
// fields and a hash of its content; per namespace a dictionary of terms and,
// per term, the memories holding it (uint32 ordinals) with the term's count
// in each (one byte). It is safe for concurrent use; searches run in
// parallel with each other and wait for writes.
type Text struct {
	k1, b float64
	seed  maphash.Seed

	// bufs holds a search's scratch space, one per processor: searches
	// are CPU-bound, so more at once would not finish sooner, and the
	// buffers' memory stays bounded however many clients search.
	bufs chan *rankBuf

	mu     sync.RWMutex
	spaces map[string]*textSpace
	n      int
}

// textSpace is one namespace's partition. Documents are numbered by
// ordinal in the order they were added, so every posting list is in
// ordinal order; a document that is deleted or changes content is marked
// dead (and an update re-added at a new ordinal) until compaction rewrites
// the lists without the dead.
type textSpace struct {
	ids    []string
	keys   []idKey  // of ids, for the ranking's ties
	lens   []uint16 // terms in the document
	flags  []uint8  // filter flags (filter.go)
	meta   []meta
	hashes []uint64 // of the content, to tell an update of other fields
	dead   []uint64 // bitset over ordinals
	pos    map[string]uint32

	terms map[string]*postings
	live  int   // documents not dead
	nDead int   // documents dead, still in the postings
	total int64 // sum of lens of the live documents
}

// postings are the documents holding one term, in ordinal order, and the
// term's count in each.
type postings struct {
	docs []uint32
	tfs  []uint8
}

// NewText returns an empty text index.
func NewText(o TextOptions) *Text {
	if o.K1 <= 0 {
		o.K1 = DefaultK1
	}
	if o.B <= 0 || o.B > 1 {
		o.B = DefaultB
	}
	bufs := make(chan *rankBuf, runtime.GOMAXPROCS(0))
	for range cap(bufs) {
		bufs <- new(rankBuf)
	}
	return &Text{k1: o.K1, b: o.B, seed: maphash.MakeSeed(), bufs: bufs, spaces: make(map[string]*textSpace)}
}

// docTerms is one document's distinct terms and their counts, computed
// before the index is locked.
type docTerms struct {
	terms []string
	tfs   []uint8
	n     int // terms, repeats included
}

func termsOf(content string) docTerms {
	var d docTerms
	forEachTerm(content, func(t string) {
		d.n++
		if i := slices.Index(d.terms, t); i >= 0 {
			if d.tfs[i] < maxTF {
				d.tfs[i]++
			}
			return
		}
		// Terms may point into content: the index keeps a copy of each
		// term it has not seen (see add), never a piece of content.
		d.terms = append(d.terms, t)
		d.tfs = append(d.tfs, 1)
	})
	return d
}

// Upsert adds d, or replaces the document with d's ID in d's namespace. A
// document whose content has not changed keeps its terms and has only its
// filter fields updated. It returns EINVALID for an empty ID.
func (x *Text) Upsert(d TextDoc) error {
	if d.ID == "" {
		return mimo.Errorf(mimo.EINVALID, "text index: document has no id")
	}
	ns := memorykit.Namespace(d.Namespace)
	h := maphash.String(x.seed, d.Content)
	e := Entry{Category: d.Category, Superseded: d.Superseded}
	fl := flagsOf(&e)
	m := meta{created: d.CreatedAt.Round(0), tags: slices.Clone(d.Tags)}
	if categoryBit(d.Category) == 0 {
		m.category = d.Category
	}

	// Terms are found before the lock is taken, so that searches do not
	// wait for stemming; not at all when only other fields changed.
	x.mu.RLock()
	same := false
	if s := x.spaces[ns]; s != nil {
		i, ok := s.pos[d.ID]
		same = ok && s.hashes[i] == h
	}
	x.mu.RUnlock()
	var dt docTerms
	found := !same
	if found {
		dt = termsOf(d.Content)
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.spaces[ns]
	if s == nil {
		s = &textSpace{pos: make(map[string]uint32), terms: make(map[string]*postings)}
		x.spaces[ns] = s
	}
	i, ok := s.pos[d.ID]
	if ok && s.hashes[i] == h {
		s.flags[i], s.meta[i] = fl, m
		return nil
	}
	if !found { // the content changed between the two locks
		dt = termsOf(d.Content)
	}
	if ok {
		s.kill(i)
		x.n--
	}
	s.add(d.ID, h, fl, m, &dt)
	x.n++
	s.maybeCompact()
	return nil
}

// add appends a document at the next ordinal.
func (s *textSpace) add(id string, h uint64, fl uint8, m meta, dt *docTerms) {
	ord := uint32(len(s.ids))
	s.pos[id] = ord
	s.ids = append(s.ids, id)
	s.keys = append(s.keys, keyOf(id))
	s.lens = append(s.lens, uint16(min(dt.n, maxDocLen)))
	s.flags = append(s.flags, fl)
	s.meta = append(s.meta, m)
	s.hashes = append(s.hashes, h)
	if need := int(ord)/64 + 1; len(s.dead) < need {
		s.dead = append(s.dead, 0)
	}
	for i, t := range dt.terms {
		p := s.terms[t]
		if p == nil {
			p = &postings{}
			s.terms[strings.Clone(t)] = p
		}
		p.docs = append(p.docs, ord)
		p.tfs = append(p.tfs, dt.tfs[i])
	}
	s.live++
	s.total += int64(s.lens[ord])
}

// kill marks ordinal i dead and forgets its ID.
func (s *textSpace) kill(i uint32) {
	s.dead[i/64] |= 1 << (i % 64)
	delete(s.pos, s.ids[i])
	s.ids[i] = ""
	s.meta[i] = meta{} // drop references to tags for the collector
	s.live--
	s.nDead++
	s.total -= int64(s.lens[i])
}

func (s *textSpace) isDead(i uint32) bool { return s.dead[i/64]&(1<<(i%64)) != 0 }

// Delete removes the document id of namespace ("" means the default one); a
// missing document is not an error.
func (x *Text) Delete(namespace, id string) {
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
	s.kill(i)
	x.n--
	if s.live == 0 {
		delete(x.spaces, ns)
		return
	}
	s.maybeCompact()
}

// maybeCompact rewrites the postings without the dead documents once they
// are many enough (see minCompact).
func (s *textSpace) maybeCompact() {
	if s.nDead < minCompact || s.nDead*4 < len(s.ids) {
		return
	}
	s.compact()
}

// compact renumbers the live documents 0…live-1, in their order, and drops
// the dead from every posting list, and the terms left with none.
func (s *textSpace) compact() {
	remap := make([]uint32, len(s.ids))
	n := uint32(0)
	for i := range uint32(len(s.ids)) {
		if s.isDead(i) {
			continue
		}
		remap[i] = n
		s.ids[n], s.keys[n], s.lens[n], s.flags[n], s.meta[n], s.hashes[n] = s.ids[i], s.keys[i], s.lens[i], s.flags[i], s.meta[i], s.hashes[i]
		s.pos[s.ids[n]] = n
		n++
	}
	clear(s.ids[n:])
	clear(s.meta[n:])
	s.ids, s.keys, s.lens, s.flags, s.meta, s.hashes = s.ids[:n], s.keys[:n], s.lens[:n], s.flags[:n], s.meta[:n], s.hashes[:n]
	for t, p := range s.terms {
		j := 0
		for k, d := range p.docs {
			if s.isDead(d) {
				continue
			}
			p.docs[j], p.tfs[j] = remap[d], p.tfs[k]
			j++
		}
		if j == 0 {
			delete(s.terms, t)
			continue
		}
		p.docs, p.tfs = shrink(p.docs[:j]), shrink(p.tfs[:j])
	}
	s.dead = make([]uint64, (int(n)+63)/64)
	s.nDead = 0
}

// shrink returns s in a fitting array when it uses less than half of its
// own, so deletions give memory back.
func shrink[T any](s []T) []T {
	if cap(s) > 2*len(s)+8 {
		return slices.Clip(slices.Clone(s))
	}
	return s
}

// Len returns the number of documents in every namespace.
func (x *Text) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// NamespaceLen returns the number of documents of namespace ("" means the
// default one).
func (x *Text) NamespaceLen(namespace string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.spaces[memorykit.Namespace(namespace)]; s != nil {
		return s.live
	}
	return 0
}

// Terms returns the number of distinct terms of namespace ("" means the
// default one), the size of its dictionary.
func (x *Text) Terms(namespace string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.spaces[memorykit.Namespace(namespace)]; s != nil {
		return len(s.terms)
	}
	return 0
}
