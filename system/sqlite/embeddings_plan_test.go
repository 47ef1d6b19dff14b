package sqlite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// EmbeddingModels runs at every start-up: it must read only the index
// entries of the models it counts, not every memory's (a million of the
// configured model took most of a second to count), so its plan searches
// the model index by ranges and never scans the table or the whole index.
func TestEmbeddingModelsSearchesTheIndexByRanges(t *testing.T) {
	s := openTestStore(t)
	rows, err := s.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+embeddingModels, "m", 8)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	all := strings.Join(plan, "\n")
	t.Log(all)
	for _, r := range []string{"(embedding_model<?)", "(embedding_model>?)", "(embedding_model=? AND embedding_dim<?)", "(embedding_model=? AND embedding_dim>?)"} {
		require.Contains(t, all, "SEARCH memories USING COVERING INDEX memories_embedding_model "+r, "a range of the model index")
	}
	require.NotContains(t, all, "SCAN memories", "no scan of the table or of a whole index")
}
