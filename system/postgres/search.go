package postgres

import (
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	mimo "mimo/system"
)

// Bounds on the words taken from a search text: enough for any real
// question, and a cap on the work one request can ask of the index.
const (
	maxQueryWords     = 32
	maxQueryWordBytes = 64
)

// queryWords splits text into lower-cased runs of Unicode letters, digits
// and combining marks, without repeats, at most maxQueryWords of them, each
// cut to maxQueryWordBytes on a character boundary. Everything else,
// including all query syntax, is a separator. (The SQLite store splits
// words the same way.)
func queryWords(text string) []string {
	var words []string
	seen := map[string]bool{}
	for f := range strings.FieldsFuncSeq(text, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
	}) {
		w := truncate(strings.ToLower(f), maxQueryWordBytes)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		words = append(words, w)
		if len(words) == maxQueryWords {
			break
		}
	}
	return words
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// TextSearch finds memories matching any word of query within f, best
// first by ts_rank_cd (larger is better), ties by ID descending; at most limit
// hits, where 0 means DefaultSearchLimit and more than MaxSearchLimit is
// cut to it. query is plain text: it is split into words (see queryWords)
// and the words are joined with | into a tsquery passed as a bind
// parameter, so no user text is ever read as query syntax. Text with no
// words, or only stop words, gives no hits and no error.
func (s *Store) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) ([]mimo.TextHit, error) {
	limit = listLimit(limit, mimo.DefaultSearchLimit, mimo.MaxSearchLimit)
	words := queryWords(query)
	if len(words) == 0 {
		return []mimo.TextHit{}, nil
	}
	// $1 is the tsquery text; the filter's parameters follow.
	w := where{args: []any{strings.Join(words, " | ")}}
	w.add("m.tsv @@ q.query")
	w.filter(f)
	w.args = append(w.args, limit)
	sql := `SELECT m.id, ts_rank_cd(m.tsv, q.query)
		FROM memories m, to_tsquery('english', $1) AS q(query)
		WHERE ` + w.sql() + `
		ORDER BY 2 DESC, m.id DESC
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
			var rank float32
			if err := rows.Scan(&h.ID, &rank); err != nil {
				return err
			}
			h.Rank = float64(rank)
			out = append(out, h)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
