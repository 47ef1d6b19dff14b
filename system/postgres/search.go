package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
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

// maxRanked bounds how many matches of one text search are ranked: the
// newest maxRanked matches within the filter. It is the SQLite store's
// bound (same name, same value), so that both stores rank the same share of
// a common word's matches; ranking every match costs a pass over every
// memory holding the word, most of the table for a common one. Older
// matches of very common words are left to the vector index, which ranks
// every memory.
const maxRanked = 300

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
// (mimo.SearchWords), each passed to to_tsquery as a bind parameter of its
// own, so no user text is ever read as query syntax. Text with no words, or
// only stop words, gives no hits and no error. Only the newest maxRanked
// matches, by CreatedAt then ID, are ranked.
//
// ts_rank and ts_rank_cd know nothing of how common a word is, so a memory
// matching only "user" ties with one matching only "neovim", and ties are
// many. BM25 weighs each matched word by its inverse document frequency
// (idf), as SQLite's FTS5 does, so both stores rank alike.
//
// "Newest" is by CreatedAt, the order lists use, because the
// (namespace, created_at, id) index serves it: Postgres either walks that
// index newest first and stops at the maxRanked-th match (common words) or
// takes the matches from the full-text index and keeps the newest with a
// top-N sort (rare words), whichever its statistics say is cheaper. FTS5
// walks insertion order instead; the two differ only for memories imported
// with old timestamps.
//
// idf needs, for each word, how many memories hold it, and counting that
// is the pass over every match the bound avoids. So the counts are taken
// among the ranked matches only, against a collection in which they are
// exact:
//   - fewer than maxRanked matches: every match is ranked, so the counts
//     are exact for all of f, and the collection is f (its size counted, or
//     estimated from estimateFrom memories on).
//   - maxRanked matches: the collection is the window of f's memories from
//     the oldest ranked match to the newest memory. Every match in the
//     window is ranked, so the counts are exact for it, and its size is a
//     count over a range of the created_at index, with no full-text work,
//     costing about what finding the ranked matches costs. The window
//     stands in for f as a sample: a word weighs what its share of recent
//     memories says, which differs from its share of f only when its use
//     has changed over time. That, besides leaving older matches unranked,
//     is what the bound costs in ranking fidelity. (Counting among the
//     ranked matches against all of f would be cheaper still, but would
//     undercount common words by the share of their matches left unranked,
//     lifting their weight towards that of rare ones.)
func (s *Store) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) ([]mimo.TextHit, error) {
	limit = memorykit.Limit(limit, mimo.DefaultSearchLimit, mimo.MaxSearchLimit)
	words := mimo.SearchWords(query)
	if len(words) == 0 {
		return []mimo.TextHit{}, nil
	}
	// $1…$k the words; the filter's parameters follow, then the limit.
	var w where
	values := make([]string, len(words))
	anyWord := make([]string, len(words))
	for i, word := range words {
		w.args = append(w.args, word)
		q := "to_tsquery('english', $" + strconv.Itoa(i+1) + "::text)"
		values[i] = "(" + strconv.Itoa(i+1) + ", " + q + ")"
		anyWord[i] = q
	}
	w.filter(f)
	scope := w.sql()
	w.args = append(w.args, limit)
	ranked := strconv.Itoa(maxRanked)
	// The words' queries are written out, not taken from the words CTE, so
	// that the planner sees them as constants and can tell rare words from
	// common ones. The window's count bounds created_at on its own as well
	// as with the row comparison: Postgres starts the index range at the
	// former, while the latter alone, after the namespace's equality, is
	// checked against every entry of the namespace.
	sql := `WITH words(i, q) AS (VALUES ` + strings.Join(values, ", ") + `
		), ranked AS MATERIALIZED (
			SELECT m.id, m.created_at, m.tsv, length(m.tsv)::float8 AS len
			FROM memories m
			WHERE m.tsv @@ (` + strings.Join(anyWord, " || ") + `) AND ` + scope + `
			ORDER BY m.created_at DESC, m.id DESC
			LIMIT ` + ranked + `
		), oldest AS MATERIALIZED (
			SELECT created_at, id FROM ranked ORDER BY created_at, id LIMIT 1
		), size AS (
			SELECT CASE
				WHEN (SELECT count(*) FROM ranked) = ` + ranked + ` THEN (
					SELECT count(*) FROM memories m
					WHERE ` + scope + `
						AND m.created_at >= (SELECT created_at FROM oldest)
						AND (m.created_at, m.id) >= (SELECT created_at, id FROM oldest))::float8
				WHEN c.reltuples >= ` + strconv.Itoa(estimateFrom) + `
					THEN greatest(c.reltuples::float8, (SELECT count(*) FROM ranked))
				ELSE (SELECT count(*) FROM memories m WHERE ` + scope + `)::float8 END AS n,
				(SELECT greatest(avg(len), 1) FROM ranked) AS avglen
			FROM pg_class c WHERE c.oid = 'memories'::regclass
		), hits AS (
			SELECT ranked.id, ranked.len, words.i FROM ranked JOIN words ON ranked.tsv @@ words.q
		), idf AS (
			SELECT hits.i, ln(1 + (size.n - count(*) + 0.5) / (count(*) + 0.5)) AS idf
			FROM hits, size GROUP BY hits.i, size.n
		)
		SELECT hits.id, sum(idf.idf * ` + ftoa(bm25K1+1) + ` / (1 + ` + ftoa(bm25K1) + ` * (` + ftoa(1-bm25B) + ` + ` + ftoa(bm25B) + ` * hits.len / size.avglen)))
		FROM hits JOIN idf USING (i), size
		GROUP BY hits.id
		ORDER BY 2 DESC, hits.id DESC
		LIMIT $` + strconv.Itoa(len(w.args))
	out := []mimo.TextHit{}
	err := s.read(ctx, "text search", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, sql, s.textSearchArgs(w.args)...)
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

// textSearchArgs puts before args the query mode the text search runs in.
// The plan must be made for each search's own words (see TextSearch), but
// under pgx's default mode the statement is a named prepared statement,
// which Postgres gives a generic plan after five runs: one plan for every
// word, either the created_at walk (for a rare word, a read of the whole
// namespace) or the full-text index (for a common word, a fetch and sort of
// every match). An unnamed statement is planned for its parameters each
// time; with its description cached it still takes one round trip. Other
// modes the URL may choose (exec, simple_protocol, …) plan each time
// already, and are left alone.
func (s *Store) textSearchArgs(args []any) []any {
	if s.connConfig.DefaultQueryExecMode != pgx.QueryExecModeCacheStatement {
		return args
	}
	mode := pgx.QueryExecModeCacheDescribe
	if s.connConfig.DescriptionCacheCapacity == 0 {
		mode = pgx.QueryExecModeExec
	}
	return append([]any{mode}, args...)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
