package postgres

import (
	"context"
	"strconv"

	mimo "mimo/system"
)

// BM25's parameters. Every matched word counts once (a tsvector's
// positions say how often a stem occurs, but memories are short statements
// and repeats in them say little), so k1 only scales the length term. b is
// how much a memory longer than the average is discounted: less than the
// usual 0.75, because a memory is one statement, and a longer one is more
// often more specific than padded.
const (
	bm25K1 = 1.2
	bm25B  = 0.3
)

// estimateFrom is the table size from which the planner's estimate of the
// number of memories (pg_class.reltuples, kept by autovacuum) stands in for
// counting the memories f selects: the count costs a scan, and inverse
// document frequency needs only the magnitude. The estimate counts every
// namespace, which lifts every word's weight alike.
const estimateFrom = 10_000

// TextSearch finds memories matching any word of query within f, best first
// by a BM25 score (larger is better), ties by ID descending; at most limit
// hits, where 0 means DefaultSearchLimit and more than MaxSearchLimit is cut
// to it. query is plain text: it is split into its search words
// (mimo.SearchWords), which are passed as bind parameters, so no user text
// is ever read as query syntax. Text with no words, or only stop words,
// gives no hits and no error.
//
// ts_rank and ts_rank_cd know nothing of how common a word is, so a memory
// matching only "user" ties with one matching only "neovim", and ties are
// many. BM25 weighs each matched word by its inverse document frequency
// among the memories f selects, as SQLite's FTS5 does, so both stores rank
// alike. Each word is looked up in the full-text index once; the matches
// give both the document frequencies and the scores.
func (s *Store) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) ([]mimo.TextHit, error) {
	limit = listLimit(limit, mimo.DefaultSearchLimit, mimo.MaxSearchLimit)
	words := mimo.SearchWords(query)
	if len(words) == 0 {
		return []mimo.TextHit{}, nil
	}
	// $1 the words; the filter's parameters follow, then the limit.
	w := where{args: []any{words}}
	w.filter(f)
	scope := w.sql()
	w.args = append(w.args, limit)
	sql := `WITH words AS (
			SELECT t.i, to_tsquery('english', t.word) AS q
			FROM unnest($1::text[]) WITH ORDINALITY AS t(word, i)
		), matches AS MATERIALIZED (
			SELECT m.id, length(m.tsv)::float8 AS len, words.i
			FROM words JOIN memories m ON m.tsv @@ words.q
			WHERE ` + scope + `
		), totals AS (
			SELECT count(DISTINCT id)::float8 AS hits, greatest(avg(len), 1) AS avglen FROM matches
		), size AS (
			SELECT greatest(totals.hits, CASE
				WHEN c.reltuples >= ` + strconv.Itoa(estimateFrom) + ` THEN c.reltuples::float8
				ELSE (SELECT count(*) FROM memories m WHERE ` + scope + `)::float8 END) AS n
			FROM totals, pg_class c WHERE c.oid = 'memories'::regclass
		), idf AS (
			SELECT matches.i, ln(1 + (size.n - count(*) + 0.5) / (count(*) + 0.5)) AS idf
			FROM matches, size GROUP BY matches.i, size.n
		)
		SELECT matches.id, sum(idf.idf * ` + ftoa(bm25K1+1) + ` / (1 + ` + ftoa(bm25K1) + ` * (` + ftoa(1-bm25B) + ` + ` + ftoa(bm25B) + ` * matches.len / totals.avglen)))
		FROM matches JOIN idf USING (i), totals
		GROUP BY matches.id
		ORDER BY 2 DESC, matches.id DESC
		LIMIT $` + strconv.Itoa(len(w.args))
	out := []mimo.TextHit{}
	err := s.read(ctx, "text search", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, sql, w.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h mimo.TextHit
			if err := rows.Scan(&h.ID, &h.Rank); err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
