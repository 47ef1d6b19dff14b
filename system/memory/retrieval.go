package memory

import (
	"context"
	"strconv"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// retrievalTTL bounds how long a question's memories are reused. A cached
// retrieval is only ever used while the change log stands where it stood
// (no memory of any namespace written since, by this process or another),
// so the bound is for the one thing that moves on its own: each source's
// recency component, which in two seconds changes by less than one part
// in a million at the default half-life.
const retrievalTTL = 2 * time.Second

// retrieval is what Ask found among the memories for one question: the
// hybrid search's memories, then, when routed to recent, the newest ones
// not already found. The graph's part is never cached: entity writes are
// not in the change log that dates this.
type retrieval struct {
	seq    int64 // the change log's position when it was made
	found  []askContext
	recent []askContext
}

// retrievals caches retrievals behind the router's classifier cache, so a
// repeated question costs neither a vector nor a text search nor a read of
// the memories; bounded like the classifier cache.
type retrievals struct {
	lru *expirable.LRU[string, retrieval]
}

func newRetrievals(maxEntries int) *retrievals {
	return &retrievals{lru: expirable.NewLRU[string, retrieval](maxEntries, nil, retrievalTTL)}
}

func retrievalKey(ns, query string, limit int, recent bool) string {
	return ns + "\x00" + normalizeQuestion(query) + "\x00" + strconv.Itoa(limit) + "\x00" + strconv.FormatBool(recent)
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
