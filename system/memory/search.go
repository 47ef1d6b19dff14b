package memory

import (
	"cmp"
	"context"
	"encoding/base64"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mimo/system"
	"mimo/system/index"
)

// Weights of the hybrid score. Each component is in [0, 1]:
//
//   - Vector: the memory's place among the candidates ordered by the cosine
//     similarity of its embedding with the query's, as fuseConstant/
//     (fuseConstant+p) for 0-based place p (ties share a place), so the
//     nearest scores 1; 0 when the cosine is below the service's minimum
//     vector score or the memory has no vector.
//   - Text: the same for its place in the store's full-text ranking; 0 when
//     it shares no word with the query.
//   - Recency: 0.5^(age/half-life), age measured from the last update.
//   - Importance: the memory's own importance.
//
// Total is the weighted sum. The weights sum to 1 so Total is in [0, 1].
//
// Vector and Text are fused by rank (reciprocal rank fusion), not by raw
// score: cosines of different embedders and the ranks of different text
// engines are on scales of their own, and a rank divided by the best rank
// over-rewards the best of a weak set of matches.
type Weights struct {
	Vector, Text, Recency, Importance float64
}

// DefaultWeights give meaning and words an equal say: on the retrieval set
// (fixtures/retrieval) neither the built-in embedder nor either store's text
// rank is the better guide to the fact asked for; recency and importance
// break near-ties rather than outvote relevance.
var DefaultWeights = Weights{Vector: 0.425, Text: 0.425, Recency: 0.05, Importance: 0.10}

// fuseConstant is reciprocal rank fusion's constant: the place at which a
// candidate's component has fallen to half the first's. The usual 60 suits
// lists of thousands; candidates here are tens, and the first few places
// matter most.
const fuseConstant = 10

// Search modes reported in SearchPage.Mode.
const (
	ModeHybrid  = "hybrid"
	ModeLexical = "lexical" // no query vector or no index: words only
	ModeRecent  = "recent"  // words only, and none matched: newest first
)

// Candidate pool: how many hits each retriever contributes, at least
// minCandidates and at most maxCandidates; and how deep paging may go.
const (
	minCandidates = 50
	maxCandidates = 500
	maxOffset     = 400
)

// candidatePool is how many hits each retriever contributes to a search
// that must fill want places: three for each, at least minCandidates and at
// most maxCandidates. The fused scores are places among these candidates,
// so two searches drawing the same pool score their common results alike
// (see peekable).
func candidatePool(want int) int {
	return min(max(want*3, minCandidates), maxCandidates)
}

// search is Search against the database: a client's search, validated,
// timed in mimo_search_duration_seconds, and counted as an access of each
// memory it returns.
func (s *Service) search(ctx context.Context, q mimo.SearchQuery) (*mimo.SearchPage, error) {
	start := time.Now()
	defer func() { s.metrics.SearchDuration.Observe(time.Since(start).Seconds()) }()

	if err := validateQuery(q.Query); err != nil {
		return nil, err
	}
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
	page, err := s.rank(ctx, q, limit, offset)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(page.Results))
	for i, r := range page.Results {
		ids[i] = r.Memory.ID
	}
	s.access.record(q.Namespace, ids)
	return page, nil
}

// rank is a search already validated (q's query and filter, limit and
// offset in range, the namespace normalised): the page of limit results
// from offset. It neither times itself nor counts accesses, which are a
// client's search's (search) and not Ask's own retrieval's.
func (s *Service) rank(ctx context.Context, q mimo.SearchQuery, limit, offset int) (*mimo.SearchPage, error) {
	want := offset + limit
	k := candidatePool(want)

	mode := ModeHybrid
	var qvec []float32
	degraded := false
	if !s.follower.Loaded() {
		s.fallback(ctx, slog.LevelDebug, "index", "loading", "vector index still loading; searching by words only")
		mode = ModeLexical
	} else if qvec = s.queryVector(ctx, q.Query); qvec == nil {
		mode, degraded = ModeLexical, true
	}

	cands, hits, err := s.candidates(ctx, q, qvec, k)
	if err != nil {
		return nil, err
	}
	// Words' hits the vector retriever did not return get their cosine
	// too, in one call to the index.
	var missing []string
	for _, h := range hits {
		if cands[h.ID] == nil {
			cands[h.ID] = &mimo.Scores{}
			missing = append(missing, h.ID)
		}
	}
	if qvec != nil && len(missing) > 0 {
		cos, found := s.index.Similarities(q.Namespace, missing, qvec)
		for i, id := range missing {
			if found[i] {
				cands[id].Vector = clamp01(cos[i])
			}
		}
	}
	place := 0
	for i, h := range hits {
		if i > 0 && h.Rank != hits[i-1].Rank {
			place = i
		}
		cands[h.ID].Text = placeScore(place)
	}

	// A candidate with no shared words and a vector score below the floor
	// carries no evidence of relevance: the vector retriever always returns
	// its k nearest, however far they are.
	for id, sc := range cands {
		if sc.Text == 0 && sc.Vector < s.minVector {
			delete(cands, id)
		}
	}
	fuseVector(cands, s.minVector)

	var results []mimo.SearchResult
	pruned := 0 // candidates left out by shortlist: more pages may follow
	if len(cands) == 0 && mode == ModeLexical {
		s.fallback(ctx, slog.LevelDebug, "search", "no_match", "no word of the query matched; answering with the most recent memories")
		mode = ModeRecent
		recent, err := s.store.RecentMemories(ctx, q.Filter, want+1)
		if err != nil {
			return nil, err
		}
		for _, m := range recent {
			results = append(results, mimo.SearchResult{Memory: m, Score: s.score(m, mimo.Scores{})})
		}
	} else if len(cands) > 0 {
		var ids []string
		// In hybrid mode the index has just caught up with the change log
		// (candidates): what it holds of each candidate is current.
		ids, pruned = s.shortlist(q.Namespace, cands, want, mode == ModeHybrid)
		ms, err := s.store.GetMemoriesNoVector(ctx, q.Namespace, ids)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			// The index and the text engine filter already; this guards
			// against an index a moment behind the store.
			if !matches(m, q.Filter) {
				continue
			}
			results = append(results, mimo.SearchResult{Memory: m, Score: s.score(m, *cands[m.ID])})
		}
		sort.Slice(results, func(i, j int) bool {
			a, b := results[i], results[j]
			if a.Score.Total != b.Score.Total {
				return a.Score.Total > b.Score.Total
			}
			return a.Memory.ID > b.Memory.ID
		})
	}

	page := &mimo.SearchPage{Mode: mode, Results: []mimo.SearchResult{}}
	if degraded {
		page.Degraded, page.Reason = true, mimo.DegradedEmbedder
	}
	if offset < len(results) {
		end := min(offset+limit, len(results))
		page.Results = results[offset:end]
		if (end < len(results) || pruned > 0) && end <= maxOffset {
			page.NextCursor = encodeOffset(end)
		}
	}
	for _, r := range page.Results {
		r.Memory.Embedding.Vector = nil
		s.decorate(r.Memory)
	}
	return page, nil
}

func (s *Service) score(m *mimo.Memory, sc mimo.Scores) mimo.Scores {
	sc.Recency = s.recency(m, s.now())
	sc.Importance = m.Importance
	w := s.weights
	sc.Total = w.Vector*sc.Vector + w.Text*sc.Text + w.Recency*sc.Recency + w.Importance*sc.Importance
	return sc
}

// recency is the Recency component of m's score at now.
func (s *Service) recency(m *mimo.Memory, now time.Time) float64 {
	age := max(0, now.Sub(m.UpdatedAt))
	return math.Exp2(-float64(age) / float64(s.halfLife))
}

func matches(m *mimo.Memory, f mimo.Filter) bool {
	if m.SupersededBy != "" && !f.IncludeSuperseded {
		return false
	}
	if len(f.Categories) > 0 {
		ok := false
		for _, c := range f.Categories {
			ok = ok || m.Category == c
		}
		if !ok {
			return false
		}
	}
	for _, t := range f.Tags {
		ok := false
		for _, have := range m.Tags {
			ok = ok || have == t
		}
		if !ok {
			return false
		}
	}
	if !f.Since.IsZero() && m.CreatedAt.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !m.CreatedAt.Before(f.Until) {
		return false
	}
	return true
}

func validateQuery(q string) error {
	switch {
	case !utf8.ValidString(q):
		return mimo.Errorf(mimo.EINVALID, "query: not valid UTF-8")
	case strings.TrimSpace(q) == "":
		return mimo.Errorf(mimo.EINVALID, "query: must not be empty")
	case len(q) > mimo.MaxQueryBytes:
		return mimo.Errorf(mimo.EINVALID, "query: at most %d bytes", mimo.MaxQueryBytes)
	}
	return nil
}

// shortlist returns the ids of the candidates of namespace ns that can
// still reach the first want places, and how many it left out. A
// candidate's total is its vector and text parts plus its recency and
// importance, which the vector index holds for every memory it holds
// (Index.Ranking): when byIndex is set, for those the total is known before
// any is read. For the others (no vector, or byIndex unset because the
// index may be behind the store) it is bounded:
// recency and importance add at least 0 and at most Recency+Importance. A
// candidate whose highest possible total is below the want-th best lowest
// total cannot reach the page, so it need not be read; fewer reads is most
// of a search's cost after the indexes.
func (s *Service) shortlist(ns string, cands map[string]*mimo.Scores, want int, byIndex bool) ([]string, int) {
	ids := make([]string, 0, len(cands))
	for id := range cands {
		ids = append(ids, id)
	}
	if len(ids) <= want {
		return ids, 0
	}
	w := s.weights
	// The page's scores are computed once the memories are read, a moment
	// later: recency can only have fallen by then, and by about the same
	// for all, so a small slack covers the clock.
	const slack = 1e-6
	lo := make([]float64, len(ids))
	hi := make([]float64, len(ids))
	now := s.now()
	ranked := make([]index.Ranked, len(ids))
	if byIndex {
		ranked = s.index.Ranking(ns, ids)
	}
	for i, r := range ranked {
		sc := cands[ids[i]]
		lo[i] = w.Vector*sc.Vector + w.Text*sc.Text
		if !r.OK {
			hi[i] = lo[i] + w.Recency + w.Importance
			continue
		}
		m := mimo.Memory{UpdatedAt: r.UpdatedAt, Importance: r.Importance}
		lo[i] += w.Recency*s.recency(&m, now) + w.Importance*m.Importance
		hi[i] = lo[i] + slack
		lo[i] -= slack
	}
	lows := slices.Clone(lo)
	slices.SortFunc(lows, func(a, b float64) int { return cmp.Compare(b, a) })
	cutoff := lows[want-1]
	kept := ids[:0]
	for i, id := range ids {
		if hi[i] >= cutoff {
			kept = append(kept, id)
		}
	}
	return kept, len(cands) - len(kept)
}

// fuseVector replaces each candidate's cosine by the score of its place
// among the candidates ordered by cosine, best first; a cosine below floor
// scores 0.
func fuseVector(cands map[string]*mimo.Scores, floor float64) {
	byCosine := make([]*mimo.Scores, 0, len(cands))
	for _, sc := range cands {
		if sc.Vector >= floor {
			byCosine = append(byCosine, sc)
		} else {
			sc.Vector = 0
		}
	}
	sort.Slice(byCosine, func(i, j int) bool { return byCosine[i].Vector > byCosine[j].Vector })
	place := 0
	cosines := make([]float64, len(byCosine))
	for i, sc := range byCosine {
		cosines[i] = sc.Vector
		if i > 0 && cosines[i] != cosines[i-1] {
			place = i
		}
		sc.Vector = placeScore(place)
	}
}

// placeScore is reciprocal rank fusion's score of 0-based place p, scaled
// so the first place scores 1.
func placeScore(p int) float64 {
	return fuseConstant / float64(fuseConstant+p)
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// Search cursors are opaque to clients; inside they are an offset into the
// ranked candidates.
func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(n)))
}

func decodeOffset(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil && strings.HasPrefix(string(b), "o:") {
		if n, err := strconv.Atoi(string(b[2:])); err == nil && n > 0 && n <= maxOffset {
			return n, nil
		}
	}
	return 0, mimo.Errorf(mimo.EINVALID, "cursor: not a cursor from a previous page of this search")
}
