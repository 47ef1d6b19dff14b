package memory

import (
	"context"
	"encoding/base64"
	"sort"
	"strings"

	"mimo/system"
	"mimo/system/breaker"
	"mimo/system/internal/memorykit"
)

// errNotCached is a read the database could not answer and the read
// cache cannot either.
func errNotCached(cause error) error {
	if cause != nil {
		return cause
	}
	return mimo.Wrap(mimo.EUNAVAILABLE, breaker.ErrOpen, "the database is unavailable and the read cache does not hold the answer")
}

// cachedGet answers Get from the read cache when it has to: the memory
// has a queued write (the cache holds what the database will), the
// database failed (cause), or the db circuit is open. ok false means ask
// the database.
func (s *Service) cachedGet(ctx context.Context, ns, id string, cause error) (m *mimo.Memory, err error, ok bool) {
	m, pending, deleted, found := s.cache.get(ns, id)
	down := cause != nil || s.dbOpen()
	switch {
	case !down && !pending:
		return nil, nil, false
	case !found:
		return nil, errNotCached(cause), true
	}
	if down {
		s.served(ctx, "a memory", cause)
	}
	if deleted {
		return nil, memorykit.NotFound(id), true
	}
	s.decorate(m)
	return m, nil, true
}

// cacheCursor marks a list cursor made from the read cache: the store's
// cursors mean nothing to the cache, nor its to the store.
const cacheCursor = "cache:"

// cachedList answers List from the read cache: the cached memories of the
// namespace that match the filter, newest first, marked degraded.
func (s *Service) cachedList(ctx context.Context, q mimo.ListQuery, cause error) (*mimo.ListPage, error) {
	after := ""
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var ok bool
		if after, ok = strings.CutPrefix(string(b), cacheCursor); err != nil || !ok {
			return nil, errNotCached(cause)
		}
	}
	ms := s.cachedMatches(q.Filter)
	page := &mimo.ListPage{Memories: []*mimo.Memory{}, Degraded: true}
	for _, m := range ms {
		if after != "" && m.ID >= after {
			continue
		}
		if len(page.Memories) == q.Limit {
			last := page.Memories[len(page.Memories)-1].ID
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(cacheCursor + last))
			break
		}
		s.decorate(m)
		m.Embedding.Vector = nil // lists carry no vectors
		page.Memories = append(page.Memories, m)
	}
	s.served(ctx, "a list", cause)
	return page, nil
}

// cachedMatches returns the cached memories matching f, newest first
// (ids are UUIDv7: by id is by creation).
func (s *Service) cachedMatches(f mimo.Filter) []*mimo.Memory {
	var out []*mimo.Memory
	for _, m := range s.cache.memories(f.Namespace) {
		if matches(m, f) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

// Search implements mimo.Service. When the database cannot be reached it
// searches the read cache instead (see cachedSearch). The memories a
// search finds are kept in the cache, as recently read.
func (s *Service) Search(ctx context.Context, q mimo.SearchQuery) (*mimo.SearchPage, error) {
	page, err := s.search(ctx, q)
	return s.orCached(ctx, q, page, err)
}

// orCached is a search's page when the database answered it, having kept
// its memories in the read cache; else, when the database was
// unavailable, the read cache's answer to q.
func (s *Service) orCached(ctx context.Context, q mimo.SearchQuery, page *mimo.SearchPage, err error) (*mimo.SearchPage, error) {
	if unavailable(ctx, err) {
		return s.cachedSearch(ctx, q, err)
	}
	if err == nil {
		for _, r := range page.Results {
			s.cache.putIfAbsent(r.Memory)
		}
	}
	return page, err
}

// cachedSearch ranks the cached memories of the namespace as search does
// the database's: by the words they share with the query (their place by
// the share of the query's words they hold) and by the vector index's
// hits among them, plus recency and importance. The page is marked
// degraded: memories the cache does not hold are not found.
func (s *Service) cachedSearch(ctx context.Context, q mimo.SearchQuery, cause error) (*mimo.SearchPage, error) {
	if err := validateFilter(&q.Filter); err != nil {
		return nil, err
	}
	limit, err := validateLimit(q.Limit, mimo.DefaultSearchLimit, mimo.MaxSearchLimit)
	if err != nil {
		return nil, err
	}
	offset, err := decodeOffset(q.Cursor)
	if err != nil {
		return nil, err
	}
	want := offset + limit
	cached := map[string]*mimo.Memory{}
	for _, m := range s.cachedMatches(q.Filter) {
		cached[m.ID] = m
	}

	mode := ModeLexical
	cands := map[string]*mimo.Scores{}
	if s.follower.Loaded() {
		if vecs, err := s.embedder.Embed(ctx, []string{q.Query}); err == nil && len(vecs) == 1 {
			mode = ModeHybrid
			for _, h := range s.index.Search(vecs[0], q.Filter, maxCandidates) {
				if cached[h.ID] != nil {
					cands[h.ID] = &mimo.Scores{Vector: clamp01(h.Score)}
				}
			}
		}
	}
	words := map[string]bool{}
	for _, w := range mimo.SearchWords(q.Query) {
		words[w] = true
	}
	type textHit struct {
		id    string
		share float64
	}
	var hits []textHit
	for id, m := range cached {
		n := 0
		seen := map[string]bool{}
		for _, w := range mimo.SearchWords(m.Content) {
			if words[w] && !seen[w] {
				seen[w] = true
				n++
			}
		}
		if n > 0 {
			hits = append(hits, textHit{id, float64(n) / float64(len(words))})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].share != hits[j].share {
			return hits[i].share > hits[j].share
		}
		return hits[i].id > hits[j].id
	})
	place := 0
	for i, h := range hits {
		if i > 0 && h.share != hits[i-1].share {
			place = i
		}
		if cands[h.id] == nil {
			cands[h.id] = &mimo.Scores{}
		}
		cands[h.id].Text = placeScore(place)
	}
	for id, sc := range cands {
		if sc.Text == 0 && sc.Vector < s.minVector {
			delete(cands, id)
		}
	}
	fuseVector(cands, s.minVector)

	var results []mimo.SearchResult
	if len(cands) == 0 {
		mode = ModeRecent
		for _, m := range s.cachedMatches(q.Filter) {
			if len(results) > want {
				break
			}
			results = append(results, mimo.SearchResult{Memory: m, Score: s.score(m, mimo.Scores{})})
		}
	}
	for id, sc := range cands {
		results = append(results, mimo.SearchResult{Memory: cached[id], Score: s.score(cached[id], *sc)})
	}
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.Score.Total != b.Score.Total {
			return a.Score.Total > b.Score.Total
		}
		return a.Memory.ID > b.Memory.ID
	})

	page := &mimo.SearchPage{Mode: mode, Results: []mimo.SearchResult{}, Degraded: true, Reason: mimo.ReasonDBUnavailable}
	if offset < len(results) {
		end := min(offset+limit, len(results))
		page.Results = results[offset:end]
		if end < len(results) && end <= maxOffset {
			page.NextCursor = encodeOffset(end)
		}
	}
	for _, r := range page.Results {
		r.Memory.Embedding.Vector = nil
		s.decorate(r.Memory)
	}
	s.served(ctx, "a search", cause)
	return page, nil
}

// Ask implements mimo.Service. An answer retrieved from the read cache
// (the database unavailable) is degraded, with reason
// mimo.ReasonDBUnavailable; one retrieved by words only (the embedder
// unavailable) with mimo.DegradedEmbedder (see ask). Either reason comes
// before the language model's: it is the first cause.
func (s *Service) Ask(ctx context.Context, r mimo.AskRequest) (*mimo.Answer, error) {
	ctx, o := mimo.WithOutcome(ctx)
	ans, err := s.ask(ctx, r)
	if err == nil && o.Degraded() == mimo.ReasonDBUnavailable {
		ans.Degraded = true
		ans.Reason = mimo.ReasonDBUnavailable
	}
	return ans, err
}
