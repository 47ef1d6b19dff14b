package memory

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"mimo/system"
	"mimo/system/metrics"
)

// Classifier cache defaults: enough for the distinct questions of a busy
// agent fleet; a decision is cheap to remake, so ten minutes is plenty.
const (
	DefaultClassifierEntries = 10_000
	DefaultClassifierTTL     = 10 * time.Minute
)

// router decides which stores a question goes to, from its words alone,
// and caches the decision per normalised question (bounded in size and
// age) so a repeated question is routed without classifying it again.
type router struct {
	cache      *expirable.LRU[string, mimo.Route]
	ttl        time.Duration
	maxEntries int
	hits       atomic.Uint64
	misses     atomic.Uint64
	metrics    *metrics.Metrics
}

func newRouter(maxEntries int, ttl time.Duration, m *metrics.Metrics) *router {
	if maxEntries <= 0 {
		maxEntries = DefaultClassifierEntries
	}
	if ttl <= 0 {
		ttl = DefaultClassifierTTL
	}
	return &router{
		cache:      expirable.NewLRU[string, mimo.Route](maxEntries, nil, ttl),
		ttl:        ttl,
		maxEntries: maxEntries,
		metrics:    m,
	}
}

// route returns the stores for a question normalised by
// normalizeQuestion, from the cache when it holds the same question
// (Cached true).
func (r *router) route(key string) mimo.Route {
	if rt, ok := r.cache.Get(key); ok {
		r.hits.Add(1)
		r.metrics.ClassifierHits.Inc()
		rt.Cached = true
		rt.Stores = append([]string(nil), rt.Stores...)
		return rt
	}
	r.misses.Add(1)
	r.metrics.ClassifierMisses.Inc()
	rt := classify(key)
	r.cache.Add(key, rt)
	rt.Stores = append([]string(nil), rt.Stores...)
	return rt
}

func (r *router) stats() mimo.CacheStats {
	h, m := r.hits.Load(), r.misses.Load()
	st := mimo.CacheStats{
		Entries: r.cache.Len(), Hits: h, Misses: m,
		TTLSeconds: r.ttl.Seconds(), MaxEntries: r.maxEntries,
	}
	if h+m > 0 {
		st.HitRate = float64(h) / float64(h+m)
	}
	return st
}

// normalizeQuestion folds case and spacing, so "Who is Ana?" and
// "who  is ana?" are one question to the cache.
func normalizeQuestion(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(q)), " ")
}

// Cues of the classifier. A question about people, things and how they
// relate goes to the graph too; one about what happened lately goes to the
// newest memories too. Memories are always searched.
var (
	graphCues = []string{"who ", "whom", "whose", "related", "relation", "relationship", "connected",
		"between", "depends on", "depend on", "works with", "work with", "belongs", "owner", "owns", "member of", "part of"}
	recentCues = []string{"recent", "latest", "lately", "last ", "today", "yesterday", "this week",
		"just now", "newest", "new ", "so far", "current"}
)

// classify routes a normalised question. Confidence grows with the cues
// found: 0.5 with none (memories by default), up to 0.95.
func classify(q string) mimo.Route {
	padded := " " + q + " "
	rt := mimo.Route{Stores: []string{mimo.RouteMemories}, Confidence: 0.5}
	cues := 0
	if n := countCues(padded, graphCues); n > 0 {
		rt.Stores = append(rt.Stores, mimo.RouteGraph)
		cues += n
	}
	if n := countCues(padded, recentCues); n > 0 {
		rt.Stores = append(rt.Stores, mimo.RouteRecent)
		cues += n
	}
	rt.Confidence = min(0.95, 0.5+0.15*float64(cues))
	return rt
}

func countCues(q string, cues []string) int {
	n := 0
	for _, c := range cues {
		if strings.Contains(q, c) {
			n++
		}
	}
	return n
}
