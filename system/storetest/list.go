package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func listCases() []testCase {
	return []testCase{
		{"ListMemories/NewestFirstByCreatedAt", testListOrder},
		{"ListMemories/CursorPaging", testListPaging},
		{"ListMemories/Limits", testListLimits},
		{"ListMemories/BadCursor", testListBadCursor},
		{"ListMemories/Filters", testListFilters},
		{"RecentMemories", testRecent},
	}
}

// Memories are created with CreatedAt going back in time, so their UUIDv7 IDs
// and their timestamps disagree: the order must follow the timestamps.
func testListOrder(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	var want []string
	for i := range 5 {
		m := NewMemory("list", fmt.Sprintf("memory number %d", i))
		m.CreatedAt = at(-time.Duration(i) * time.Hour)
		m.UpdatedAt = m.CreatedAt
		create(t, s, m)
		want = append(want, m.ID)
	}
	page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "list"}})
	require.NoError(t, err)
	assert.Equal(t, want, ids(page.Memories))
	assert.Empty(t, page.NextCursor)
	for _, m := range page.Memories {
		assert.Empty(t, m.Embedding.Vector, "lists carry no vectors")
		assert.Equal(t, EmbeddingModel, m.EmbeddingModel)
		assert.Equal(t, EmbeddingDim, m.EmbeddingDim)
	}
}

// Groups of memories share a timestamp, so the cursor must break ties.
func testListPaging(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	var ms []*mimo.Memory
	for i := range 37 {
		m := NewMemory("page", fmt.Sprintf("paged memory %d", i))
		m.CreatedAt = at(time.Duration(i/4) * time.Second)
		m.UpdatedAt = m.CreatedAt
		ms = append(ms, m)
	}
	createAll(t, s, ms)
	create(t, s, NewMemory("page-other", "not on any page"))

	for _, limit := range []int{1, 4, 5, 36, 37} {
		var seen []*mimo.Memory
		cursor := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 40, "paging must end")
			page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "page"}, Limit: limit, Cursor: cursor})
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Memories), limit)
			seen = append(seen, page.Memories...)
			if page.NextCursor == "" {
				break
			}
			require.Len(t, page.Memories, limit, "only the last page is short")
			cursor = page.NextCursor
		}
		got := ids(seen)
		assert.Len(t, got, 37, "limit %d: every memory once", limit)
		assert.ElementsMatch(t, ids(ms), got, "limit %d: no gaps, no repeats", limit)
		assert.True(t, slices.IsSortedFunc(seen, func(a, b *mimo.Memory) int { return b.CreatedAt.Compare(a.CreatedAt) }),
			"limit %d: newest first", limit)
	}
}

func testListLimits(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	var ms []*mimo.Memory
	for i := range mimo.MaxListLimit + 5 {
		ms = append(ms, NewMemory("limits", fmt.Sprintf("limit memory %d", i)))
	}
	createAll(t, s, ms)

	page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "limits"}})
	require.NoError(t, err)
	assert.Len(t, page.Memories, mimo.DefaultListLimit, "limit 0 means the default")
	assert.NotEmpty(t, page.NextCursor)

	page, err = s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "limits"}, Limit: 10 * mimo.MaxListLimit})
	require.NoError(t, err)
	assert.Len(t, page.Memories, mimo.MaxListLimit, "limits are cut to the maximum")
	require.NotEmpty(t, page.NextCursor)
	page, err = s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "limits"}, Limit: mimo.MaxListLimit, Cursor: page.NextCursor})
	require.NoError(t, err)
	assert.Len(t, page.Memories, 5)
	assert.Empty(t, page.NextCursor)

	page, err = s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "limits"}, Limit: 5})
	require.NoError(t, err)
	require.NotEmpty(t, page.NextCursor)
	// A full last page has no next cursor.
	small := "limits-exact"
	createAll(t, s, []*mimo.Memory{NewMemory(small, "exact one"), NewMemory(small, "exact two")})
	page, err = s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: small}, Limit: 2})
	require.NoError(t, err)
	assert.Len(t, page.Memories, 2)
	assert.Empty(t, page.NextCursor, "no memory follows a full last page")

	empty, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "limits-none"}})
	require.NoError(t, err)
	assert.Empty(t, empty.Memories)
	assert.Empty(t, empty.NextCursor)
}

func testListBadCursor(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	create(t, s, NewMemory("cursor", "something to list"))
	for _, c := range []string{"!!!", "not a cursor at all", "%00%ff", "\x00\xff"} {
		_, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "cursor"}, Cursor: c})
		requireCode(t, err, mimo.EINVALID, "cursor %q", c)
	}
}

// filterFixture stores memories that differ in one field each and returns
// them by name.
func filterFixture(t *testing.T, s mimo.Store, ns string) map[string]*mimo.Memory {
	t.Helper()
	mk := func(content string, cat mimo.Category, tags []string, created time.Duration) *mimo.Memory {
		m := NewMemory(ns, content)
		m.Category, m.Tags = cat, tags
		m.CreatedAt, m.UpdatedAt = at(created), at(created)
		return create(t, s, m)
	}
	f := map[string]*mimo.Memory{
		"fact-old":  mk("zebra fact from long ago", mimo.CategoryFact, []string{"animals"}, 0),
		"obs-mid":   mk("zebra observation in the middle", mimo.CategoryObservation, []string{"animals", "stripes"}, time.Hour),
		"plan-new":  mk("zebra plan for tomorrow", mimo.CategoryPlan, []string{"stripes", "todo"}, 2*time.Hour),
		"fact-tags": mk("zebra fact with every tag", mimo.CategoryFact, []string{"todo", "stripes", "animals"}, 3*time.Hour),
	}
	sup := NewMemory(ns, "zebra fact that replaces the old one")
	sup.CreatedAt, sup.UpdatedAt = at(4*time.Hour), at(4*time.Hour)
	sup.Supersedes = f["fact-old"].ID
	f["superseder"] = create(t, s, sup)
	return f
}

// filterCases are the filters every list and search must honour, with the
// fixture memories each must return.
func filterCases(ns string) []struct {
	name   string
	filter mimo.Filter
	want   []string
} {
	return []struct {
		name   string
		filter mimo.Filter
		want   []string
	}{
		{"none", mimo.Filter{Namespace: ns}, []string{"superseder", "fact-tags", "plan-new", "obs-mid"}},
		{"include superseded", mimo.Filter{Namespace: ns, IncludeSuperseded: true}, []string{"superseder", "fact-tags", "plan-new", "obs-mid", "fact-old"}},
		{"one category", mimo.Filter{Namespace: ns, Categories: []mimo.Category{mimo.CategoryFact}}, []string{"superseder", "fact-tags"}},
		{"categories any of", mimo.Filter{Namespace: ns, Categories: []mimo.Category{mimo.CategoryPlan, mimo.CategoryObservation}}, []string{"plan-new", "obs-mid"}},
		{"one tag", mimo.Filter{Namespace: ns, Tags: []string{"stripes"}}, []string{"fact-tags", "plan-new", "obs-mid"}},
		{"tags all of", mimo.Filter{Namespace: ns, Tags: []string{"animals", "stripes"}}, []string{"fact-tags", "obs-mid"}},
		{"tags all of three", mimo.Filter{Namespace: ns, Tags: []string{"todo", "animals", "stripes"}}, []string{"fact-tags"}},
		{"unknown tag", mimo.Filter{Namespace: ns, Tags: []string{"animals", "nope"}}, nil},
		{"since inclusive", mimo.Filter{Namespace: ns, Since: at(2 * time.Hour)}, []string{"superseder", "fact-tags", "plan-new"}},
		{"until exclusive", mimo.Filter{Namespace: ns, Until: at(2 * time.Hour), IncludeSuperseded: true}, []string{"obs-mid", "fact-old"}},
		{"since and until", mimo.Filter{Namespace: ns, Since: at(time.Hour), Until: at(3 * time.Hour)}, []string{"plan-new", "obs-mid"}},
		{"everything at once", mimo.Filter{Namespace: ns, Categories: []mimo.Category{mimo.CategoryFact}, Tags: []string{"animals"},
			Since: at(0), Until: at(5 * time.Hour), IncludeSuperseded: true}, []string{"fact-tags", "fact-old"}},
		{"other namespace", mimo.Filter{Namespace: ns + "-other", IncludeSuperseded: true}, nil},
	}
}

func names(f map[string]*mimo.Memory, keys []string) []string {
	out := []string{}
	for _, k := range keys {
		out = append(out, f[k].ID)
	}
	return out
}

func testListFilters(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	f := filterFixture(t, s, "filters")
	for _, c := range filterCases("filters") {
		page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: c.filter})
		require.NoError(t, err, c.name)
		assert.Equal(t, names(f, c.want), append([]string{}, ids(page.Memories)...), c.name)
	}
}

func testRecent(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	f := filterFixture(t, s, "recent")
	for _, c := range filterCases("recent") {
		got, err := s.RecentMemories(ctx, c.filter, 10)
		require.NoError(t, err, c.name)
		assert.Equal(t, names(f, c.want), append([]string{}, ids(got)...), c.name)
		for _, m := range got {
			assert.Empty(t, m.Embedding.Vector, "recent memories carry no vectors")
		}
	}
	got, err := s.RecentMemories(ctx, mimo.Filter{Namespace: "recent"}, 2)
	require.NoError(t, err)
	assert.Equal(t, names(f, []string{"superseder", "fact-tags"}), ids(got))
	AssertSameMemory(t, f["superseder"], got[0], false)

	var many []*mimo.Memory
	for i := range mimo.MaxListLimit + 30 {
		many = append(many, NewMemory("recent-many", fmt.Sprintf("one of many recent memories, number %d", i)))
	}
	createAll(t, s, many)
	got, err = s.RecentMemories(ctx, mimo.Filter{Namespace: "recent-many"}, 0)
	require.NoError(t, err)
	assert.Equal(t, mimo.DefaultListLimit, len(got), "limit 0 means DefaultListLimit")
	got, err = s.RecentMemories(ctx, mimo.Filter{Namespace: "recent-many"}, mimo.MaxListLimit+20)
	require.NoError(t, err)
	assert.Equal(t, mimo.MaxListLimit+20, len(got), "a limit past MaxListLimit is the caller's")
}
