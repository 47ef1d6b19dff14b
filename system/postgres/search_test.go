package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/storetest"
)

// Past maxRanked (300) matches only the newest are ranked, as in the SQLite
// store; among them a rare word still outweighs a common one, filters still
// hold, and the order is best first with ties by ID descending.
func TestTextSearchRanksTheNewestMatches(t *testing.T) {
	s, _ := fresh(t)
	ctx := t.Context()
	base := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
	stamp := func(m *mimo.Memory, i int) *mimo.Memory {
		m.CreatedAt = base.Add(time.Duration(i) * time.Second)
		m.UpdatedAt = m.CreatedAt
		return m
	}
	old := stamp(storetest.NewMemory("bound", "walrus tusk"), 0)
	ms := []*mimo.Memory{old}
	observed := map[string]bool{}
	for i := 1; i <= 1200; i++ {
		m := stamp(storetest.NewMemory("bound", fmt.Sprintf("walrus sighting number %d", i)), i)
		if i%2 == 0 {
			m.Category = mimo.CategoryObservation
			observed[m.ID] = true
		}
		ms = append(ms, m)
	}
	rare := stamp(storetest.NewMemory("bound", "walrus tusk sighting"), 1100)
	ms = append(ms, rare)
	res, err := s.CreateMemories(ctx, ms)
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	f := mimo.Filter{Namespace: "bound"}

	// Run each search more than five times: Postgres may switch a prepared
	// statement to a generic plan after five runs.
	for range 7 {
		hits, err := s.TextSearch(ctx, "walrus tusk", f, mimo.MaxSearchLimit)
		require.NoError(t, err)
		require.Len(t, hits, mimo.MaxSearchLimit)
		assert.Equal(t, rare.ID, hits[0].ID, "the rare word outweighs the common one")
		assert.NotContains(t, ids(hits), old.ID, "the oldest match is past the newest maxRanked")
		for i := 1; i < len(hits); i++ {
			a, b := hits[i-1], hits[i]
			assert.True(t, a.Rank > b.Rank || a.Rank == b.Rank && a.ID > b.ID,
				"hit %d: best first, ties by ID descending", i)
		}
	}

	hits, err := s.TextSearch(ctx, "tusk", f, 10)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{rare.ID, old.ID}, ids(hits), "a rare word's old matches are ranked")

	hits, err = s.TextSearch(ctx, "walrus", mimo.Filter{Namespace: "bound", Categories: []mimo.Category{mimo.CategoryObservation}}, mimo.MaxSearchLimit)
	require.NoError(t, err)
	require.Len(t, hits, mimo.MaxSearchLimit)
	for _, h := range hits {
		assert.True(t, observed[h.ID], "only observations")
	}
}

func ids(hits []mimo.TextHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}
