package storetest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func searchCases() []testCase {
	return []testCase{
		{"TextSearch/FindsWordsAndStems", testSearchWords},
		{"TextSearch/RanksBetterMatchFirst", testSearchRank},
		{"TextSearch/Filters", testSearchFilters},
		{"TextSearch/Limits", testSearchLimits},
		{"TextSearch/HostileInput", testSearchHostile},
	}
}

func testSearchWords(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	runs := create(t, s, NewMemory("fts", "She runs along the river every morning"))
	keys := create(t, s, NewMemory("fts", "The spare keys are in the blue drawer"))
	create(t, s, NewMemory("fts", "Lunch is at noon on Fridays"))
	f := mimo.Filter{Namespace: "fts"}

	for q, want := range map[string][]string{
		"drawer":             {keys.ID},
		"DRAWER":             {keys.ID},
		"running":            {runs.ID}, // stemming: running and runs share a stem
		"river mornings":     {runs.ID},
		"keys?":              {keys.ID},
		"spare, blue; keys!": {keys.ID},
		"nothingmatcheshere": nil,
	} {
		hits, err := s.TextSearch(ctx, q, f, 10)
		require.NoError(t, err, q)
		assert.Equal(t, want, nilIfEmpty(hitIDs(hits)), "query %q", q)
	}

	for _, q := range []string{"", "   ", "!!! ??? ...", "\t\n"} {
		hits, err := s.TextSearch(ctx, q, f, 10)
		require.NoError(t, err, "query %q", q)
		assert.Empty(t, hits, "query %q has no words", q)
	}
}

func testSearchRank(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	one := create(t, s, NewMemory("rank", "quantum computing is a field of study"))
	both := create(t, s, NewMemory("rank", "quantum entanglement links particles; entanglement is strange"))
	create(t, s, NewMemory("rank", "an unrelated note about gardening"))
	hits, err := s.TextSearch(ctx, "quantum entanglement", mimo.Filter{Namespace: "rank"}, 10)
	require.NoError(t, err)
	require.Equal(t, []string{both.ID, one.ID}, hitIDs(hits), "the memory matching both words ranks first")
	assert.Greater(t, hits[0].Rank, hits[1].Rank, "larger ranks are better")
}

func testSearchFilters(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	f := filterFixture(t, s, "search")
	create(t, s, NewMemory("search", "a memory without the animal word"))
	create(t, s, NewMemory("search-elsewhere", "zebra in yet another namespace"))
	for _, c := range filterCases("search") {
		hits, err := s.TextSearch(ctx, "zebra", c.filter, 20)
		require.NoError(t, err, c.name)
		assert.ElementsMatch(t, names(f, c.want), hitIDs(hits), c.name)
	}
}

func testSearchLimits(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	var ms []*mimo.Memory
	for i := range mimo.MaxSearchLimit + 5 {
		ms = append(ms, NewMemory("limits", fmt.Sprintf("walrus number %d", i)))
	}
	createAll(t, s, ms)
	f := mimo.Filter{Namespace: "limits"}
	for limit, want := range map[int]int{0: mimo.DefaultSearchLimit, 1: 1, 7: 7, 10 * mimo.MaxSearchLimit: mimo.MaxSearchLimit} {
		hits, err := s.TextSearch(ctx, "walrus", f, limit)
		require.NoError(t, err)
		assert.Len(t, hits, want, "limit %d", limit)
	}
}

// User text is never query syntax: every one of these returns hits or none,
// never an error, and none of them changes the data.
func testSearchHostile(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	zebra := create(t, s, NewMemory("hostile", "the zebra crossed the road"))
	create(t, s, NewMemory("hostile", "a note about apples and pears"))
	f := mimo.Filter{Namespace: "hostile"}
	hostile := []string{
		`"unbalanced`, `a OR b NOT c`, `NEAR(`, `NEAR(a b, 2)`, `*`, `foo:*`, `!(x) & y | z`,
		`'`, `''`, `\`, `\\'`, `--`, `;DROP TABLE memories; --`, `'; DROP TABLE memories; --`,
		`content:apples`, `^apples`, `apples AND`, `OR`, `AND NOT`, `(`, `)`, `{a b}`, `a - b`,
		`<->`, `a <-> b`, `a <2> b`, `:*`, `&&`, `||`, `!!`, `%`, `_`, `$1`, `?`, `\x00`,
		"\x00", "\xff\xfe", `""`, `"a" "b"`, `col : value`, `-apples`, `+apples`, `apples*`,
	}
	for _, q := range hostile {
		_, err := s.TextSearch(ctx, q, f, 10)
		assert.NoError(t, err, "query %q", q)
	}
	for _, q := range []string{`"zebra`, `zebra*`, `(zebra)`, `zebra:*`, `zebra'`, `"zebra" OR`, `zebra --`, `zebra;`} {
		hits, err := s.TextSearch(ctx, q, f, 10)
		require.NoError(t, err, "query %q", q)
		assert.Equal(t, []string{zebra.ID}, hitIDs(hits), "query %q still finds the word", q)
	}
	n, err := s.CountMemories(ctx, "hostile")
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	create(t, s, NewMemory("hostile", "still writable"))
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
