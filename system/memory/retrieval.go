package memory

import (
	"context"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"mimo/system"
)

// retrievalTTL is how long a retrieval is reused even when no proof says
// that a memory left out cannot now outrank one kept (see retrieval): in
// two seconds a score falls by less than one part in ten million at the
// default half-life, so only a near-tie at the edge of the kept set could
// turn. Past it, a retrieval is reused only with that proof; it is kept
// as long as the router's decision.
const retrievalTTL = 2 * time.Second

// retrieval is what Ask found among the memories for one question: the
// hybrid search's memories, then, when routed to recent, the newest ones
// not already found. The graph's part is never cached: entity writes are
// not in the change log that dates this.
//
// A retrieval is reused only while the change log stands where it stood,
// so every memory's content, importance and vector are as they were, and
// so is every ranking component but one: recency, which only falls as
// time passes. Reuse recomputes each source's recency and total and
// re-sorts, so scores and order are those a fresh search would give, as
// long as no memory left out could now outrank one kept. A memory left out
// scored at most next when the retrieval was made, and has only fallen
// since; so while every kept memory still scores above next, none can.
// Memories tied or near-tied at the edge (as in corpora of many alike
// memories) leave no such margin; their retrieval is reused for
// retrievalTTL only.
type retrieval struct {
	seq    int64     // the change log's position when it was made
	made   time.Time // the service's clock when it was made
	found  []scored  // the search's memories, best first then
	recent []scored  // the newest memories not among found
	// exact says whether next is known. When it is not, the retrieval is
	// reused only for retrievalTTL.
	exact bool
	// next is the total score, when it was made, of the best memory the
	// search left out; -Inf when it left none out.
	next float64
}

// scored is a retrieved memory with what its score is made of, so that
// its recency can be recomputed.
type scored struct {
	ctx        askContext
	scores     mimo.Scores
	updatedAt  time.Time
	importance float64
}

// retrievals caches retrievals behind the router's classifier cache, so a
// repeated question costs neither a vector nor a text search nor a read of
// the memories; bounded like the classifier cache.
type retrievals struct {
	lru *expirable.LRU[string, retrieval]
}

func newRetrievals(maxEntries int, ttl time.Duration) *retrievals {
	return &retrievals{lru: expirable.NewLRU[string, retrieval](maxEntries, nil, ttl)}
}

// retrievalKey is the cache key of a question normalised by
// normalizeQuestion.
func retrievalKey(ns, question string, limit int, recent bool) string {
	return ns + "\x00" + question + "\x00" + strconv.Itoa(limit) + "\x00" + strconv.FormatBool(recent)
}

// peekable reports whether rank can be asked for one memory more than
// limit and still give the same first limit, scores included: it can as
// long as it draws the same candidates (candidatePool), since the
// rank-fused scores are places among the candidates. Asking one more tells
// a retrieval's next.
func peekable(limit int) bool { return candidatePool(limit+1) == candidatePool(limit) }

// newRetrieval makes a retrieval of limit memories from page, the first
// results of rank for limit, or for limit+1 when peekable.
func newRetrieval(page *mimo.SearchPage, limit int, now time.Time) retrieval {
	r := retrieval{made: now, exact: peekable(limit), next: math.Inf(-1)}
	for i, res := range page.Results {
		if i == limit {
			r.next = res.Score.Total
			break
		}
		r.found = append(r.found, scoredOf(res.Memory, res.Score))
	}
	return r
}

func scoredOf(m *mimo.Memory, sc mimo.Scores) scored {
	return scored{
		ctx:       askContext{source: mimo.Source{Kind: "memory", ID: m.ID, Score: sc.Total}, text: m.Content},
		scores:    sc,
		updatedAt: m.UpdatedAt, importance: m.Importance,
	}
}

// reuse returns r's memories as a search now would rank them, scored now,
// and false when r is not to be reused: the clock went back, or, past
// retrievalTTL, a memory left out may now outrank one kept (see
// retrieval).
func (s *Service) reuse(r retrieval) (found, recent []askContext, ok bool) {
	now := s.now()
	if now.Before(r.made) {
		return nil, nil, false
	}
	young := now.Sub(r.made) < retrievalTTL
	if !r.exact && !young {
		return nil, nil, false
	}
	found = make([]askContext, len(r.found), len(r.found)+len(r.recent))
	totals := make([]float64, len(r.found))
	for i, m := range r.found {
		sc := s.rescore(m)
		if !young && sc.Total <= r.next {
			return nil, nil, false
		}
		found[i], totals[i] = m.ctx, sc.Total
		found[i].source.Score = sc.Total
	}
	// rank's order: total score, then id, both descending.
	sort.Sort(byTotal{found, totals})
	recent = make([]askContext, len(r.recent))
	for i, m := range r.recent {
		recent[i] = m.ctx
		recent[i].source.Score = s.rescore(m).Total
	}
	return found, recent, true
}

// rescore is m's score now: its recency recomputed, the rest as found.
func (s *Service) rescore(m scored) mimo.Scores {
	return s.score(&mimo.Memory{UpdatedAt: m.updatedAt, Importance: m.importance}, m.scores)
}

// byTotal sorts contexts by their totals as rank sorts results.
type byTotal struct {
	ctxs   []askContext
	totals []float64
}

func (b byTotal) Len() int { return len(b.ctxs) }

func (b byTotal) Less(i, j int) bool {
	if b.totals[i] != b.totals[j] {
		return b.totals[i] > b.totals[j]
	}
	return b.ctxs[i].source.ID > b.ctxs[j].source.ID
}

func (b byTotal) Swap(i, j int) {
	b.ctxs[i], b.ctxs[j] = b.ctxs[j], b.ctxs[i]
	b.totals[i], b.totals[j] = b.totals[j], b.totals[i]
}

// current returns the change log's position after catching up with it,
// and false when that is not known to be the database's: the index is
// still loading, the database's circuit is not closed (writes may be
// spooled), or catching up failed. Only then is a cached retrieval valid.
func (s *Service) current(ctx context.Context) (int64, bool) {
	if !s.follower.Loaded() || !s.dbClosed() {
		return 0, false
	}
	if err := s.follower.Sync(ctx); err != nil {
		s.log.Warn("index sync failed", "err", err)
		return 0, false
	}
	return s.follower.Seq(), true
}
