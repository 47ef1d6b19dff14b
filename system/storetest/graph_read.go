package storetest

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

// Paging through a graph with ReadGraph yields every entity once, in
// order, and every relation once, on the page of its From entity.
func testReadGraphPaging(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	const n = 23
	var es []mimo.Entity
	var rs []mimo.Relation
	name := func(i int) string { return fmt.Sprintf("e%02d", i%n) }
	for i := range n {
		es = append(es, ent(name(i), "t", fmt.Sprintf("observation of %d", i)))
		rs = append(rs, rel(name(i), name(i+1), "next"), rel(name(i), name(i*7), "seventh"))
	}
	mustCreate(t, s, "g", es...)
	mustRelate(t, s, "g", rs...)
	sortRels(rs)

	for _, limit := range []int{1, 5, 7, n, n + 1} {
		var gotE []mimo.Entity
		var gotR []mimo.Relation
		cursor, pages := "", 0
		for {
			g, err := s.ReadGraph(ctx, "g", cursor, limit)
			require.NoError(t, err)
			pages++
			require.NotNil(t, g.Relations)
			require.LessOrEqual(t, len(g.Entities), limit)
			onPage := map[string]bool{}
			for _, e := range g.Entities {
				onPage[e.Name] = true
			}
			for _, r := range g.Relations {
				assert.True(t, onPage[r.From], "limit %d: relation %v is on the page of its From", limit, r)
			}
			gotE, gotR = append(gotE, g.Entities...), append(gotR, g.Relations...)
			if g.NextCursor == "" {
				break
			}
			require.Len(t, g.Entities, limit, "only the last page is short")
			cursor = g.NextCursor
			require.Less(t, pages, 100)
		}
		assert.Equal(t, (n+limit-1)/limit, pages, "limit %d: a full last page has no cursor", limit)
		require.Equal(t, es, gotE, "limit %d: every entity once, in order", limit)
		require.Equal(t, rs, gotR, "limit %d: every relation once, in order", limit)
	}

	// A cursor stays valid when the entity it names is deleted.
	g, err := s.ReadGraph(ctx, "g", "", 5)
	require.NoError(t, err)
	_, err = s.DeleteEntities(ctx, "g", []string{g.Entities[4].Name})
	require.NoError(t, err)
	g, err = s.ReadGraph(ctx, "g", g.NextCursor, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{name(5), name(6)}, namesOf(g.Entities))
}

// Limit 0 (or negative) means DefaultGraphLimit; more than MaxGraphLimit
// is cut to it. SearchNodes follows the same rules.
func testReadGraphLimits(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	total := mimo.MaxGraphLimit + 1
	var es []mimo.Entity
	for i := range total {
		es = append(es, ent(fmt.Sprintf("node %04d", i), "bulk"))
	}
	for chunk := range slices.Chunk(es, mimo.MaxGraphBatch) {
		mustCreate(t, s, "g", chunk...)
	}
	for _, c := range []struct{ limit, want int }{
		{0, mimo.DefaultGraphLimit}, {-3, mimo.DefaultGraphLimit}, {mimo.MaxGraphLimit + 500, mimo.MaxGraphLimit},
		{mimo.MaxGraphLimit, mimo.MaxGraphLimit}, {7, 7},
	} {
		g, err := s.ReadGraph(ctx, "g", "", c.limit)
		require.NoError(t, err)
		assert.Len(t, g.Entities, c.want, "ReadGraph limit %d", c.limit)
		assert.NotEmpty(t, g.NextCursor, "ReadGraph limit %d: more follow", c.limit)
		g, err = s.SearchNodes(ctx, "g", "NODE", c.limit)
		require.NoError(t, err)
		assert.Len(t, g.Entities, c.want, "SearchNodes limit %d", c.limit)
		assert.Equal(t, es[:c.want], g.Entities, "SearchNodes limit %d: the first by name", c.limit)
	}
	g, err := s.ReadGraph(ctx, "g", "", 0)
	require.NoError(t, err)
	g, err = s.ReadGraph(ctx, "g", g.NextCursor, mimo.MaxGraphLimit)
	require.NoError(t, err)
	assert.Len(t, g.Entities, total-mimo.DefaultGraphLimit)
	assert.Empty(t, g.NextCursor)
}

// A cursor the store did not make is EINVALID; an empty graph is one empty
// page.
func testReadGraphBadCursor(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	g, err := s.ReadGraph(ctx, "g", "", 0)
	require.NoError(t, err)
	requireGraph(t, g, nil, nil)
	assert.Empty(t, g.NextCursor)
	mustCreate(t, s, "g", ent("A", "t"), ent("B", "t"))
	for _, c := range []string{"not a cursor!", "%%%", base64.RawURLEncoding.EncodeToString([]byte("hello")),
		base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xfe, 0x00}), "A", "==="} {
		_, err := s.ReadGraph(ctx, "g", c, 0)
		requireCode(t, err, mimo.EINVALID, "cursor %q", c)
	}
}

// Names order by bytes (as Go compares strings), whatever the database's
// collation: upper case before lower, accents after ASCII. Paging follows
// the same order.
func testGraphByteOrder(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	names := []string{"alpha", "Zeta", "école", "ecole", "Alpha", "Ω", "a b", "a_b", "a-b", "10", "9", "ab", "a"}
	var es []mimo.Entity
	for _, n := range names {
		es = append(es, ent(n, "t"))
	}
	mustCreate(t, s, "g", es...)
	rs := []mimo.Relation{rel("alpha", "Zeta", "b"), rel("alpha", "Zeta", "B"), rel("alpha", "école", "x"),
		rel("Zeta", "alpha", "x"), rel("alpha", "Alpha", "x"), rel("Ω", "a", "x")}
	mustRelate(t, s, "g", rs...)
	sortRels(rs)
	slices.Sort(names)
	g := wholeGraph(t, s, "g")
	assert.Equal(t, names, namesOf(g.Entities))
	assert.Equal(t, rs, g.Relations)
	var paged []string
	cursor := ""
	for {
		g, err := s.ReadGraph(ctx, "g", cursor, 3)
		require.NoError(t, err)
		paged = append(paged, namesOf(g.Entities)...)
		if cursor = g.NextCursor; cursor == "" {
			break
		}
	}
	assert.Equal(t, names, paged)
}

// SearchNodes ignores case in every script, over names, types and
// observations.
func testSearchNodesCase(t *testing.T, s mimo.GraphStore) {
	mustCreate(t, s, "g",
		ent("École Normale", "school"),
		ent("ecole", "word"),
		ent("Zürich", "CITY", "Founded by ROMANS"),
		ent("Σίσυφος", "myth", "ΚΑΛΗΜΕΡΑ κόσμε"),
		ent("plain", "thing", "nothing here", "mentions the ÉCOLE in passing"),
	)
	for query, want := range map[string][]string{
		"ÉCOLE":    {"plain", "École Normale"},
		"école":    {"plain", "École Normale"},
		"Ecole":    {"ecole"},
		"city":     {"Zürich"},
		"romans":   {"Zürich"},
		"ZÜRICH":   {"Zürich"},
		"zürich":   {"Zürich"},
		"καλημερα": {"Σίσυφος"},
		"ΣΊΣΥΦ":    {"Σίσυφος"},
		"SCHOOL":   {"École Normale"},
		"o":        {"Zürich", "ecole", "plain", "École Normale"},
		"absent":   nil,
	} {
		g, err := s.SearchNodes(t.Context(), "g", query, 0)
		require.NoError(t, err, query)
		if want == nil {
			want = []string{}
		}
		assert.Equal(t, want, namesOf(g.Entities), "query %q", query)
	}
	g, err := s.SearchNodes(t.Context(), "g", "city", 0)
	require.NoError(t, err)
	requireGraph(t, g, []mimo.Entity{ent("Zürich", "CITY", "Founded by ROMANS")}, nil, "whole entities come back")
}

// A query is plain text: LIKE wildcards, quotes and backslashes match
// themselves; it matches within one field, never across two; an empty or
// blank query matches nothing.
func testSearchNodesPlainText(t *testing.T, s mimo.GraphStore) {
	mustCreate(t, s, "g",
		ent("100% pure", "t"), ent("1000 pure", "t"), ent("a_b", "t"), ent("axb", "t"),
		ent("O'Brien", "person", `says "hi" \ bye`), ent("percent", "t", "50%"),
		ent("Split", "kind", "line one\nline two"),
	)
	for query, want := range map[string][]string{
		"%":                           {"100% pure", "percent"},
		"100%":                        {"100% pure"},
		"%pure":                       nil,
		"_":                           {"a_b"},
		"a_b":                         {"a_b"},
		"'":                           {"O'Brien"},
		`"hi"`:                        {"O'Brien"},
		`\`:                           {"O'Brien"},
		"*":                           nil,
		"'; DROP TABLE entities; --":  nil,
		"one\nline":                   {"Split"},
		"split\nkind":                 nil,
		"kind\nline":                  nil,
		"":                            nil,
		"   ":                         nil,
		"pure":                        {"100% pure", "1000 pure"},
		"brien', 'x') OR 1=1 OR ('a'": nil,
	} {
		g, err := s.SearchNodes(t.Context(), "g", query, 0)
		require.NoError(t, err, "query %q", query)
		require.NotNil(t, g.Entities)
		require.NotNil(t, g.Relations)
		if want == nil {
			want = []string{}
		}
		assert.Equal(t, want, namesOf(g.Entities), "query %q", query)
	}
	assert.Len(t, wholeGraph(t, s, "g").Entities, 7, "the graph is intact")
}

// SearchNodes returns the relations with at least one end among the
// entities it returns, after the limit, as the official server does.
func testSearchNodesRelations(t *testing.T, s mimo.GraphStore) {
	mustCreate(t, s, "g", ent("apple pie", "dessert"), ent("apple tart", "dessert"), ent("banana", "fruit"), ent("apple juice", "drink"),
		ent("cherry", "fruit"))
	mustRelate(t, s, "g", rel("apple pie", "apple tart", "cousin"), rel("apple pie", "banana", "contains"),
		rel("banana", "apple tart", "topping"), rel("apple juice", "apple pie", "pairs with"), rel("apple tart", "apple tart", "is"),
		rel("banana", "cherry", "beside"))
	g, err := s.SearchNodes(t.Context(), "g", "APPLE", 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"apple juice", "apple pie", "apple tart"}, namesOf(g.Entities))
	assert.Equal(t, []mimo.Relation{rel("apple juice", "apple pie", "pairs with"), rel("apple pie", "apple tart", "cousin"),
		rel("apple pie", "banana", "contains"), rel("apple tart", "apple tart", "is"), rel("banana", "apple tart", "topping")},
		g.Relations, "every relation from or to a match, once, and none between two others")
	g, err = s.SearchNodes(t.Context(), "g", "apple", 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"apple juice", "apple pie"}, namesOf(g.Entities))
	assert.Equal(t, []mimo.Relation{rel("apple juice", "apple pie", "pairs with"), rel("apple pie", "apple tart", "cousin"),
		rel("apple pie", "banana", "contains")}, g.Relations, "relations of the entities within the limit only")
	assert.Empty(t, g.NextCursor, "SearchNodes does not page")
}

// A store that finds entities for several queries at once (mimo.
// EntityFinder) finds, for each, what SearchNodes finds, at every limit,
// in the namespace asked only, and sees each change to the graph at once.
func testFindEntities(t *testing.T, s mimo.GraphStore) {
	f, ok := s.(mimo.EntityFinder)
	if !ok {
		t.Skip("the store finds entities only through SearchNodes")
	}
	ctx := t.Context()
	mustCreate(t, s, "g",
		ent("École Normale", "school"), ent("ecole", "word"), ent("Zürich", "CITY", "Founded by ROMANS"),
		ent("apple pie", "dessert"), ent("apple tart", "dessert"), ent("100% pure", "t", "50%"),
		ent("plain", "thing", "mentions the ÉCOLE in passing"))
	mustCreate(t, s, "other", ent("apple crumble", "dessert"), ent("Zürich", "city"))
	mustRelate(t, s, "g", rel("apple pie", "apple tart", "cousin"))
	queries := []string{"APPLE", "école", "city", "%", "", "absent", "o", "Ecole", "romans", "  "}
	check := func(what string) {
		t.Helper()
		for _, limit := range []int{0, 1, 2} {
			got, err := f.FindEntities(ctx, "g", queries, limit)
			require.NoError(t, err)
			require.Len(t, got, len(queries))
			for i, q := range queries {
				g, err := s.SearchNodes(ctx, "g", q, limit)
				require.NoError(t, err)
				require.NotNil(t, got[i], "%s: query %q", what, q)
				assert.Equal(t, g.Entities, got[i], "%s: query %q, limit %d", what, q, limit)
			}
		}
	}
	check("as created")
	_, err := s.AddObservations(ctx, "g", []mimo.ObservationAdd{{EntityName: "ecole", Contents: []string{"an APPLE a day"}}})
	require.NoError(t, err)
	check("after an observation was added")
	got, err := f.FindEntities(ctx, "g", []string{"apple"}, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"apple pie", "apple tart", "ecole"}, namesOf(got[0]), "the new observation is found at once")
	_, err = s.DeleteEntities(ctx, "g", []string{"apple tart"})
	require.NoError(t, err)
	check("after an entity was deleted")
	for range 2 { // a store may answer from a cache the second time
		got, err = f.FindEntities(ctx, "g", []string{"nowhere", "", "absent"}, 0)
		require.NoError(t, err)
		assert.Equal(t, [][]mimo.Entity{{}, {}, {}}, got, "nothing found")
	}
	mustCreate(t, s, "g", ent("Nowhere Man", "song"))
	got, err = f.FindEntities(ctx, "g", []string{"nowhere", "absent"}, 0)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"Nowhere Man"}, {}}, [][]string{namesOf(got[0]), namesOf(got[1])}, "a new entity is found at once")
	got, err = f.FindEntities(ctx, "other", []string{"apple", "CITY"}, 0)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"apple crumble"}, {"Zürich"}}, [][]string{namesOf(got[0]), namesOf(got[1])}, "each namespace its own")
	got, err = f.FindEntities(ctx, "g", nil, 0)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// OpenNodes returns the named entities that exist, by name, and the
// relations with at least one end among them, as the official server does.
func testOpenNodes(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t", "a1"), ent("B", "t"), ent("C", "t", "c1", "c2"), ent("D", "t"))
	mustRelate(t, s, "g", rel("A", "B", "r"), rel("A", "C", "r"), rel("C", "A", "r"), rel("B", "C", "r"), rel("B", "D", "r"),
		rel("D", "D", "r"))
	g, err := s.OpenNodes(ctx, "g", []string{"C", "Ghost", "A", "A"})
	require.NoError(t, err)
	requireGraph(t, g, []mimo.Entity{ent("A", "t", "a1"), ent("C", "t", "c1", "c2")},
		[]mimo.Relation{rel("A", "B", "r"), rel("A", "C", "r"), rel("B", "C", "r"), rel("C", "A", "r")})
	g, err = s.OpenNodes(ctx, "g", []string{"B"})
	require.NoError(t, err)
	requireGraph(t, g, []mimo.Entity{ent("B", "t")},
		[]mimo.Relation{rel("A", "B", "r"), rel("B", "C", "r"), rel("B", "D", "r")}, "a node's connections to nodes not opened")
	g, err = s.OpenNodes(ctx, "g", []string{"D"})
	require.NoError(t, err)
	requireGraph(t, g, []mimo.Entity{ent("D", "t")}, []mimo.Relation{rel("B", "D", "r"), rel("D", "D", "r")}, "a self-relation once")
	for _, names := range [][]string{nil, {}, {"Ghost"}, {"a", "c"}} {
		g, err = s.OpenNodes(ctx, "g", names)
		require.NoError(t, err)
		requireGraph(t, g, nil, nil, "names %q", names)
	}
}

// A node with more relations than MaxGraphRelations gets the first of
// them, in order, and RelationsTruncated, from OpenNodes and SearchNodes.
func testRelationsBounded(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	n := mimo.MaxGraphRelations + 5
	es := []mimo.Entity{ent("Hub", "hub")}
	var rs []mimo.Relation
	for i := range n {
		name := fmt.Sprintf("n%05d", i)
		es = append(es, ent(name, "leaf"))
		if i%2 == 0 {
			rs = append(rs, rel(name, "Hub", "points at"))
		} else {
			rs = append(rs, rel("Hub", name, "points at"))
		}
	}
	mustCreate(t, s, "g", es...)
	mustRelate(t, s, "g", rs...)
	all := wholeGraph(t, s, "g").Relations
	require.Len(t, all, n)
	for name, get := range map[string]func() (*mimo.Graph, error){
		"OpenNodes":   func() (*mimo.Graph, error) { return s.OpenNodes(ctx, "g", []string{"Hub"}) },
		"SearchNodes": func() (*mimo.Graph, error) { return s.SearchNodes(ctx, "g", "hub", 0) },
	} {
		g, err := get()
		require.NoError(t, err)
		require.Equal(t, []string{"Hub"}, namesOf(g.Entities), name)
		require.Equal(t, all[:mimo.MaxGraphRelations], g.Relations, "%s: the first relations, in order", name)
		assert.True(t, g.RelationsTruncated, name)
	}
	g, err := s.OpenNodes(ctx, "g", []string{"n00000"})
	require.NoError(t, err)
	assert.Equal(t, []mimo.Relation{rel("n00000", "Hub", "points at")}, g.Relations)
	assert.False(t, g.RelationsTruncated)
}

// No method reads or changes another namespace's graph.
func testGraphIsolation(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	const a, b = "tenant-a", "tenant-b"
	mustCreate(t, s, a, ent("X", "secret", "the launch code is swordfish"), ent("Y", "secret"))
	mustRelate(t, s, a, rel("X", "Y", "guards"))
	before := wholeGraph(t, s, a)

	g, err := s.ReadGraph(ctx, b, "", 0)
	require.NoError(t, err)
	requireGraph(t, g, nil, nil, "ReadGraph")
	for _, q := range []string{"swordfish", "secret", "x"} {
		g, err = s.SearchNodes(ctx, b, q, 0)
		require.NoError(t, err)
		requireGraph(t, g, nil, nil, "SearchNodes %q", q)
	}
	g, err = s.OpenNodes(ctx, b, []string{"X", "Y"})
	require.NoError(t, err)
	requireGraph(t, g, nil, nil, "OpenNodes")
	_, err = s.CreateRelations(ctx, b, []mimo.Relation{rel("X", "Y", "guards")})
	requireCode(t, err, mimo.ENOTFOUND, "CreateRelations")
	_, err = s.AddObservations(ctx, b, []mimo.ObservationAdd{{EntityName: "X", Contents: []string{"pwned"}}})
	requireCode(t, err, mimo.ENOTFOUND, "AddObservations")
	removed, err := s.DeleteObservations(ctx, b, []mimo.ObservationDelete{{EntityName: "X", Observations: []string{"the launch code is swordfish"}}})
	require.NoError(t, err)
	assert.Equal(t, []mimo.ObservationDelete{{EntityName: "X", Observations: []string{}}}, removed, "DeleteObservations removed nothing")
	deletedRels, err := s.DeleteRelations(ctx, b, []mimo.Relation{rel("X", "Y", "guards")})
	require.NoError(t, err)
	assert.Empty(t, deletedRels, "DeleteRelations deleted nothing")
	deleted, err := s.DeleteEntities(ctx, b, []string{"X", "Y"})
	require.NoError(t, err)
	assert.Empty(t, deleted, "DeleteEntities deleted nothing")
	requireGraph(t, wholeGraph(t, s, a), before.Entities, before.Relations, "tenant a is untouched")

	// Tenant b may use the same names; its entities and relations are its
	// own, and deleting them leaves tenant a's alone.
	got, err := s.CreateEntities(ctx, b, []mimo.Entity{ent("X", "mine"), ent("Z", "mine")})
	require.NoError(t, err)
	require.Equal(t, []mimo.Entity{ent("X", "mine"), ent("Z", "mine")}, got, "a name of another namespace is not taken")
	_, err = s.CreateRelations(ctx, b, []mimo.Relation{rel("X", "Y", "guards")})
	requireCode(t, err, mimo.ENOTFOUND, "Y is tenant a's")
	mustRelate(t, s, b, rel("X", "Z", "guards"))
	added, err := s.AddObservations(ctx, b, []mimo.ObservationAdd{{EntityName: "X", Contents: []string{"the launch code is swordfish"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"the launch code is swordfish"}, added[0].Contents)
	g, err = s.SearchNodes(ctx, b, "swordfish", 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"X"}, namesOf(g.Entities))
	g, err = s.ReadGraph(ctx, b, "", 0)
	require.NoError(t, err)
	requireGraph(t, g, []mimo.Entity{ent("X", "mine", "the launch code is swordfish"), ent("Z", "mine")},
		[]mimo.Relation{rel("X", "Z", "guards")})
	removed, err = s.DeleteObservations(ctx, b, []mimo.ObservationDelete{{EntityName: "X", Observations: []string{"the launch code is swordfish"}}})
	require.NoError(t, err)
	assert.Equal(t, []mimo.ObservationDelete{{EntityName: "X", Observations: []string{"the launch code is swordfish"}}}, removed)
	deleted, err = s.DeleteEntities(ctx, b, []string{"X"})
	require.NoError(t, err)
	assert.Equal(t, []string{"X"}, deleted)
	requireGraph(t, wholeGraph(t, s, a), before.Entities, before.Relations, "tenant a is still untouched")
	requireGraph(t, wholeGraph(t, s, b), []mimo.Entity{ent("Z", "mine")}, nil)
}

// Namespace "" is mimo.DefaultNamespace in every method.
func testGraphDefaultNamespace(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	const d = mimo.DefaultNamespace
	mustCreate(t, s, "", ent("A", "t", "one"), ent("B", "t"))
	_, err := s.CreateEntities(ctx, d, []mimo.Entity{ent("C", "t")})
	require.NoError(t, err)
	mustRelate(t, s, "", rel("A", "B", "r"), rel("A", "C", "r"))
	_, err = s.AddObservations(ctx, "", []mimo.ObservationAdd{{EntityName: "B", Contents: []string{"two"}}})
	require.NoError(t, err)
	requireGraph(t, wholeGraph(t, s, d), []mimo.Entity{ent("A", "t", "one"), ent("B", "t", "two"), ent("C", "t")},
		[]mimo.Relation{rel("A", "B", "r"), rel("A", "C", "r")})
	for _, ns := range []string{"", d} {
		g, err := s.ReadGraph(ctx, ns, "", 0)
		require.NoError(t, err)
		assert.Len(t, g.Entities, 3, "ReadGraph %q", ns)
		g, err = s.SearchNodes(ctx, ns, "TWO", 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"B"}, namesOf(g.Entities), "SearchNodes %q", ns)
		g, err = s.OpenNodes(ctx, ns, []string{"A", "B"})
		require.NoError(t, err)
		assert.Len(t, g.Relations, 2, "OpenNodes %q", ns)
	}
	removed, err := s.DeleteObservations(ctx, "", []mimo.ObservationDelete{{EntityName: "A", Observations: []string{"one"}}})
	require.NoError(t, err)
	assert.Equal(t, []mimo.ObservationDelete{{EntityName: "A", Observations: []string{"one"}}}, removed)
	deletedRels, err := s.DeleteRelations(ctx, "", []mimo.Relation{rel("A", "C", "r")})
	require.NoError(t, err)
	assert.Equal(t, []mimo.Relation{rel("A", "C", "r")}, deletedRels)
	deleted, err := s.DeleteEntities(ctx, "", []string{"B"})
	require.NoError(t, err)
	assert.Equal(t, []string{"B"}, deleted)
	requireGraph(t, wholeGraph(t, s, d), []mimo.Entity{ent("A", "t"), ent("C", "t")}, nil)
}

// A cancelled or expired context makes every method fail promptly, having
// changed nothing, and the store keeps working.
func testGraphCancelled(t *testing.T, s mimo.GraphStore) {
	mustCreate(t, s, "g", ent("A", "t", "one"), ent("B", "t"))
	mustRelate(t, s, "g", rel("A", "B", "r"))
	before := wholeGraph(t, s, "g")
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()
	for name, ctx := range map[string]context.Context{"cancelled": cancelled, "expired": expired} {
		calls := map[string]func() error{
			"CreateEntities": func() error {
				_, err := s.CreateEntities(ctx, "g", []mimo.Entity{ent("C", "t")})
				return err
			},
			"CreateRelations": func() error {
				_, err := s.CreateRelations(ctx, "g", []mimo.Relation{rel("B", "A", "r")})
				return err
			},
			"AddObservations": func() error {
				_, err := s.AddObservations(ctx, "g", []mimo.ObservationAdd{{EntityName: "A", Contents: []string{"two"}}})
				return err
			},
			"DeleteEntities": func() error {
				_, err := s.DeleteEntities(ctx, "g", []string{"A"})
				return err
			},
			"DeleteObservations": func() error {
				_, err := s.DeleteObservations(ctx, "g", []mimo.ObservationDelete{{EntityName: "A", Observations: []string{"one"}}})
				return err
			},
			"DeleteRelations": func() error {
				_, err := s.DeleteRelations(ctx, "g", []mimo.Relation{rel("A", "B", "r")})
				return err
			},
			"ReadGraph": func() error {
				_, err := s.ReadGraph(ctx, "g", "", 0)
				return err
			},
			"SearchNodes": func() error {
				_, err := s.SearchNodes(ctx, "g", "one", 0)
				return err
			},
			"OpenNodes": func() error {
				_, err := s.OpenNodes(ctx, "g", []string{"A"})
				return err
			},
		}
		for method, call := range calls {
			start := time.Now()
			err := call()
			assert.Error(t, err, "%s with a %s context", method, name)
			assert.Less(t, time.Since(start), 2*time.Second, "%s with a %s context returns promptly", method, name)
		}
	}
	requireGraph(t, wholeGraph(t, s, "g"), before.Entities, before.Relations, "nothing changed")
	mustCreate(t, s, "g", ent("C", "t"))
}

func namesOf(es []mimo.Entity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

// sortRels orders rs by (From, To, RelationType), comparing bytes.
func sortRels(rs []mimo.Relation) {
	slices.SortFunc(rs, func(x, y mimo.Relation) int {
		return cmp.Or(strings.Compare(x.From, y.From), strings.Compare(x.To, y.To), strings.Compare(x.RelationType, y.RelationType))
	})
}
