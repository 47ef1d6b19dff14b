package memory

import (
	"context"

	"mimo/system"
)

// candidates gathers the candidates of a search: the k nearest by the query
// vector qvec (none when qvec is nil), with their cosines in Scores.Vector,
// and the k best by words, best first.
//
// Words are ranked by the in-process text index once the follower has
// loaded it (it is fed by the same change log as the vector index, and
// caught up with it first, as the vector index is); the store ranks them
// only before then, or when the follower keeps no text index.
func (s *Service) candidates(ctx context.Context, q mimo.SearchQuery, qvec []float32, k int) (map[string]*mimo.Scores, []mimo.TextHit, error) {
	cands := map[string]*mimo.Scores{}
	if text := s.follower.Text(); text != nil && s.follower.Loaded() {
		s.syncIndex(ctx)
		if qvec != nil {
			for _, h := range s.index.Search(qvec, q.Filter, k) {
				cands[h.ID] = &mimo.Scores{Vector: clamp01(h.Score)}
			}
		}
		return cands, text.Search(q.Query, q.Filter, k), nil
	}

	// The text query and the index's catch-up with the change log are two
	// independent round trips to the store: made at once, a search waits
	// for the slower, not for both (on a slow database, one latency less).
	type textResult struct {
		hits []mimo.TextHit
		err  error
	}
	text := make(chan textResult, 1)
	go func() {
		hits, err := s.store.TextSearch(ctx, q.Query, q.Filter, k)
		text <- textResult{hits, err}
	}()
	if qvec != nil {
		s.syncIndex(ctx)
		for _, h := range s.index.Search(qvec, q.Filter, k) {
			cands[h.ID] = &mimo.Scores{Vector: clamp01(h.Score)}
		}
	}
	tr := <-text
	return cands, tr.hits, tr.err
}
