package sqlite

import (
	"context"
	"strings"

	"mimo/system"
)

// maxRanked bounds how many matches of one text search are ranked: the
// newest maxRanked matches within the filter. Older matches of very common
// words are left to the vector index, which ranks every memory. Ranking is
// the bulk of a search's CPU (bm25 reads each match's length from the
// index); 300 rather than 1,000 made /api/ask 2.5 times faster at 10,000
// memories with the retrieval set's scores unchanged (docs/BENCHMARKS.md).
const maxRanked = 300

// TextSearch finds memories of f's namespace whose content shares words
// (after Porter stemming) with query, best first by BM25, at most limit (0
// means DefaultSearchLimit, more than MaxSearchLimit is cut to it). The
// query is reduced to its search words (mimo.SearchWords: no stop words
// unless there is nothing else, common abbreviations with their full form),
// each quoted for FTS5 and joined with OR, so no user text ever reaches
// MATCH as syntax; text without words gives no hits. Only the newest
// maxRanked matches are ranked.
func (s *Store) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) ([]mimo.TextHit, error) {
	if limit <= 0 {
		limit = mimo.DefaultSearchLimit
	}
	limit = min(limit, mimo.MaxSearchLimit)
	match := matchExpr(query)
	if match == "" {
		return []mimo.TextHit{}, nil
	}
	where, args := filterSQL(f)
	args = append([]any{match}, args...)
	args = append(args, maxRanked, limit)
	// The inner query walks the matches newest first (FTS5 streams rowid
	// order without sorting) and stops after maxRanked; only those get a
	// BM25 rank. Ranking every match costs microseconds per row, which for
	// a common word at 100,000 memories is most of a search's budget.
	rows, err := s.reader.QueryContext(ctx, `SELECT id, rank FROM (
			SELECT m.id AS id, -bm25(memories_fts) AS rank
			FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
			WHERE memories_fts MATCH ? AND `+where+`
			ORDER BY memories_fts.rowid DESC LIMIT ?)
		ORDER BY rank DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: text search")
	}
	defer rows.Close()
	hits := []mimo.TextHit{}
	for rows.Next() {
		var h mimo.TextHit
		if err := rows.Scan(&h.ID, &h.Rank); err != nil {
			return nil, dbErr(ctx, err, "sqlite: text search")
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(ctx, err, "sqlite: text search")
	}
	return hits, nil
}

// matchExpr turns user text into an FTS5 expression: its search words
// (mimo.SearchWords), each a quoted string, joined with OR. It is "" when the
// text has no words.
func matchExpr(text string) string {
	words := mimo.SearchWords(text)
	if len(words) == 0 {
		return ""
	}
	for i, w := range words {
		// Words hold only letters, digits and marks, so they need no
		// escaping inside the quotes.
		words[i] = `"` + w + `"`
	}
	return strings.Join(words, " OR ")
}
