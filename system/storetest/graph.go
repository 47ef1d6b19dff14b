package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

// RunGraph runs the knowledge-graph contract suite as sub-tests of t,
// opening a new, empty, migrated store for each:
//
//	func TestGraphContract(t *testing.T) {
//		storetest.RunGraph(t, func(t *testing.T) mimo.GraphStore { return openFreshStore(t) })
//	}
//
// Beyond the mimo.GraphStore doc comments, it pins down these decisions:
//
//   - CreateEntities returns what it created in input order, as the
//     official server does; every other list of entities is ordered by
//     name, and relations by (From, To, RelationType), comparing bytes, as
//     Go's strings.Compare does, whatever the database's collation.
//   - AddObservations returns one ObservationAdd per input item, in input
//     order, with the contents that item added (never nil).
//   - SearchNodes folds case as Go's strings.ToLower does, for every
//     script; a query is plain text (%, _, quotes and backslashes are
//     literal) and matches within one name, type or observation, never
//     across two. An empty or all-space query matches nothing (no error).
//   - A negative limit means the default, as 0 does.
//   - A cancelled context makes every method return an error promptly, and
//     the store keeps working.
func RunGraph(t *testing.T, open func(t *testing.T) mimo.GraphStore) {
	for _, c := range graphCases() {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

type graphCase struct {
	name string
	fn   func(t *testing.T, s mimo.GraphStore)
}

func graphCases() []graphCase {
	return []graphCase{
		{"Entities/Create", testCreateEntities},
		{"Entities/SkipExistingAndRepeats", testCreateEntitiesSkips},
		{"Relations/RequireBothEnds", testRelationsRequireEnds},
		{"Relations/DuplicatesSkipped", testRelationDuplicates},
		{"Relations/Delete", testDeleteRelations},
		{"Observations/Add", testAddObservations},
		{"Observations/AddMissingEntity", testAddObservationsMissing},
		{"Observations/Delete", testDeleteObservations},
		{"Entities/DeleteCascades", testDeleteEntitiesCascade},
		{"ReadGraph/Paging", testReadGraphPaging},
		{"ReadGraph/Limits", testReadGraphLimits},
		{"ReadGraph/BadCursor", testReadGraphBadCursor},
		{"ReadGraph/ByteOrder", testGraphByteOrder},
		{"SearchNodes/IgnoresCase", testSearchNodesCase},
		{"SearchNodes/PlainText", testSearchNodesPlainText},
		{"SearchNodes/RelationsAndLimit", testSearchNodesRelations},
		{"FindEntities/AsSearchNodes", testFindEntities},
		{"OpenNodes", testOpenNodes},
		{"OpenNodes/RelationsBounded", testRelationsBounded},
		{"Namespaces/Isolation", testGraphIsolation},
		{"Namespaces/EmptyIsDefault", testGraphDefaultNamespace},
		{"Context/Cancelled", testGraphCancelled},
		{"Concurrency/ParallelAdds", testGraphParallelAdds},
	}
}

// ent is an entity literal with a non-nil observation list.
func ent(name, typ string, obs ...string) mimo.Entity {
	if obs == nil {
		obs = []string{}
	}
	return mimo.Entity{Name: name, EntityType: typ, Observations: obs}
}

func rel(from, to, typ string) mimo.Relation {
	return mimo.Relation{From: from, To: to, RelationType: typ}
}

// mustCreate creates es in ns and requires all of them to be new.
func mustCreate(t testing.TB, s mimo.GraphStore, ns string, es ...mimo.Entity) {
	t.Helper()
	got, err := s.CreateEntities(t.Context(), ns, es)
	require.NoError(t, err)
	require.Len(t, got, len(es))
}

func mustRelate(t testing.TB, s mimo.GraphStore, ns string, rs ...mimo.Relation) {
	t.Helper()
	got, err := s.CreateRelations(t.Context(), ns, rs)
	require.NoError(t, err)
	require.Len(t, got, len(rs))
}

// wholeGraph reads every page of ns's graph with the given page size.
func wholeGraph(t testing.TB, s mimo.GraphStore, ns string) *mimo.Graph {
	t.Helper()
	all := &mimo.Graph{Entities: []mimo.Entity{}, Relations: []mimo.Relation{}}
	cursor := ""
	for range 10_000 {
		g, err := s.ReadGraph(t.Context(), ns, cursor, mimo.MaxGraphLimit)
		require.NoError(t, err)
		all.Entities = append(all.Entities, g.Entities...)
		all.Relations = append(all.Relations, g.Relations...)
		if g.NextCursor == "" {
			return all
		}
		cursor = g.NextCursor
	}
	t.Fatal("ReadGraph never reached the last page")
	return nil
}

// requireGraph checks that g holds exactly these entities and relations, in
// order, with non-nil slices.
func requireGraph(t testing.TB, g *mimo.Graph, es []mimo.Entity, rs []mimo.Relation, msgAndArgs ...any) {
	t.Helper()
	require.NotNil(t, g, msgAndArgs...)
	require.NotNil(t, g.Entities, msgAndArgs...)
	require.NotNil(t, g.Relations, msgAndArgs...)
	if es == nil {
		es = []mimo.Entity{}
	}
	if rs == nil {
		rs = []mimo.Relation{}
	}
	require.Equal(t, es, g.Entities, msgAndArgs...)
	require.Equal(t, rs, g.Relations, msgAndArgs...)
}

// Created entities come back in input order with observations once each,
// in input order, and read back the same (by name).
func testCreateEntities(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	got, err := s.CreateEntities(ctx, "g", []mimo.Entity{
		ent("Zoe", "person", "likes tea", "lives in Lyon", "likes tea", "likes tea"),
		{Name: "Acme", EntityType: "company"}, // nil observations
		ent("Bob", "person", "b2", "b1"),
	})
	require.NoError(t, err)
	want := []mimo.Entity{ent("Acme", "company"), ent("Bob", "person", "b2", "b1"), ent("Zoe", "person", "likes tea", "lives in Lyon")}
	require.Equal(t, []mimo.Entity{want[2], want[0], want[1]}, got, "in input order")
	for _, e := range got {
		assert.NotNil(t, e.Observations, "observations of %s", e.Name)
	}
	requireGraph(t, wholeGraph(t, s, "g"), want, nil)

	none, err := s.CreateEntities(ctx, "g", nil)
	require.NoError(t, err)
	assert.NotNil(t, none)
	assert.Empty(t, none)
}

// Existing names are skipped and left as they were; a name repeated in the
// input counts once, first wins.
func testCreateEntitiesSkips(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("Alice", "person", "original"))
	got, err := s.CreateEntities(ctx, "g", []mimo.Entity{
		ent("Alice", "robot", "replacement"),
		ent("Carol", "person", "first"),
		ent("Carol", "cat", "second"),
	})
	require.NoError(t, err)
	require.Equal(t, []mimo.Entity{ent("Carol", "person", "first")}, got)
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("Alice", "person", "original"), ent("Carol", "person", "first")}, nil)

	again, err := s.CreateEntities(ctx, "g", []mimo.Entity{ent("Carol", "person", "first")})
	require.NoError(t, err)
	assert.Empty(t, again)
	assert.NotNil(t, again)
}

// A relation with a missing end is ENOTFOUND naming that end, and the call
// creates nothing, not even its valid relations.
func testRelationsRequireEnds(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t"), ent("B", "t"))
	_, err := s.CreateRelations(ctx, "g", []mimo.Relation{rel("A", "B", "knows"), rel("Ghost", "B", "haunts")})
	requireCode(t, err, mimo.ENOTFOUND)
	assert.Contains(t, mimo.ErrorMessage(err), "Ghost", "the error names the missing entity")
	_, err = s.CreateRelations(ctx, "g", []mimo.Relation{rel("A", "B", "knows"), rel("B", "Nobody", "calls")})
	requireCode(t, err, mimo.ENOTFOUND)
	assert.Contains(t, mimo.ErrorMessage(err), "Nobody")
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("A", "t"), ent("B", "t")}, nil, "nothing was created")

	// A self-relation needs only its one end.
	mustRelate(t, s, "g", rel("A", "A", "is"))
}

// Relations already there, or repeated in the input, are created once;
// what was created comes back ordered.
func testRelationDuplicates(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t"), ent("B", "t"), ent("C", "t"))
	got, err := s.CreateRelations(ctx, "g", []mimo.Relation{
		rel("B", "A", "knows"), rel("A", "C", "knows"), rel("A", "B", "likes"), rel("A", "B", "knows"), rel("B", "A", "knows"),
	})
	require.NoError(t, err)
	all := []mimo.Relation{rel("A", "B", "knows"), rel("A", "B", "likes"), rel("A", "C", "knows"), rel("B", "A", "knows")}
	require.Equal(t, all, got)
	got, err = s.CreateRelations(ctx, "g", []mimo.Relation{rel("A", "C", "knows"), rel("C", "A", "knows")})
	require.NoError(t, err)
	require.Equal(t, []mimo.Relation{rel("C", "A", "knows")}, got, "only the new one")
	all = append(all, rel("C", "A", "knows"))
	assert.Equal(t, all, wholeGraph(t, s, "g").Relations)
	none, err := s.CreateRelations(ctx, "g", nil)
	require.NoError(t, err)
	assert.NotNil(t, none)
	assert.Empty(t, none)
}

// DeleteRelations deletes exactly the given relations and says which it
// deleted; missing ones are ignored, and the entities stay.
func testDeleteRelations(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t"), ent("B", "t"))
	mustRelate(t, s, "g", rel("A", "B", "knows"), rel("A", "B", "likes"), rel("B", "A", "knows"))
	deleted, err := s.DeleteRelations(ctx, "g", []mimo.Relation{
		rel("A", "B", "likes"), rel("A", "B", "hates"), rel("Ghost", "A", "knows"), rel("A", "B", "likes"), rel("B", "A", "knows"),
	})
	require.NoError(t, err)
	require.Equal(t, []mimo.Relation{rel("A", "B", "likes"), rel("B", "A", "knows")}, deleted, "what was deleted, once each, in input order")
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("A", "t"), ent("B", "t")},
		[]mimo.Relation{rel("A", "B", "knows")})
	for _, rs := range [][]mimo.Relation{nil, {rel("A", "B", "likes")}} {
		deleted, err = s.DeleteRelations(ctx, "g", rs)
		require.NoError(t, err)
		require.NotNil(t, deleted)
		require.Empty(t, deleted)
	}
}

// AddObservations appends only what the entity lacks, in order, and says
// per input item what it added.
func testAddObservations(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t", "one", "two"), ent("B", "t"))
	got, err := s.AddObservations(ctx, "g", []mimo.ObservationAdd{
		{EntityName: "A", Contents: []string{"two", "three", "four", "three"}},
		{EntityName: "B", Contents: []string{"x"}},
		{EntityName: "A", Contents: []string{"four", "five"}},
		{EntityName: "B", Contents: nil},
	})
	require.NoError(t, err)
	require.Equal(t, []mimo.ObservationAdd{
		{EntityName: "A", Contents: []string{"three", "four"}},
		{EntityName: "B", Contents: []string{"x"}},
		{EntityName: "A", Contents: []string{"five"}},
		{EntityName: "B", Contents: []string{}},
	}, got)
	for _, a := range got {
		assert.NotNil(t, a.Contents)
	}
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{
		ent("A", "t", "one", "two", "three", "four", "five"), ent("B", "t", "x"),
	}, nil)

	got, err = s.AddObservations(ctx, "g", []mimo.ObservationAdd{{EntityName: "A", Contents: []string{"one", "five"}}})
	require.NoError(t, err)
	require.Equal(t, []mimo.ObservationAdd{{EntityName: "A", Contents: []string{}}}, got, "nothing new")
}

// A missing entity is ENOTFOUND naming it, and nothing is added to any
// entity of the call.
func testAddObservationsMissing(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t", "kept"))
	_, err := s.AddObservations(ctx, "g", []mimo.ObservationAdd{
		{EntityName: "A", Contents: []string{"must not be added"}},
		{EntityName: "Ghost", Contents: []string{"boo"}},
	})
	requireCode(t, err, mimo.ENOTFOUND)
	assert.Contains(t, mimo.ErrorMessage(err), "Ghost")
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("A", "t", "kept")}, nil)
}

// DeleteObservations removes the given observations, keeps the order of
// the rest and says per item what it removed; missing entities and
// observations are ignored.
func testDeleteObservations(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t", "1", "2", "3", "4"), ent("B", "t", "x"))
	removed, err := s.DeleteObservations(ctx, "g", []mimo.ObservationDelete{
		{EntityName: "A", Observations: []string{"3", "1", "not there", "3"}},
		{EntityName: "Ghost", Observations: []string{"x"}},
		{EntityName: "B", Observations: nil},
	})
	require.NoError(t, err)
	require.Equal(t, []mimo.ObservationDelete{
		{EntityName: "A", Observations: []string{"3", "1"}},
		{EntityName: "Ghost", Observations: []string{}},
		{EntityName: "B", Observations: []string{}},
	}, removed, "per item, what it removed")
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("A", "t", "2", "4"), ent("B", "t", "x")}, nil)
	removed, err = s.DeleteObservations(ctx, "g", []mimo.ObservationDelete{{EntityName: "B", Observations: []string{"x"}}})
	require.NoError(t, err)
	require.Equal(t, []mimo.ObservationDelete{{EntityName: "B", Observations: []string{"x"}}}, removed)
	removed, err = s.DeleteObservations(ctx, "g", nil)
	require.NoError(t, err)
	require.NotNil(t, removed)
	require.Empty(t, removed)
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("A", "t", "2", "4"), ent("B", "t")}, nil)

	// A deleted observation may be added again, at the end.
	got, err := s.AddObservations(ctx, "g", []mimo.ObservationAdd{{EntityName: "A", Contents: []string{"1"}}})
	require.NoError(t, err)
	require.Equal(t, []string{"1"}, got[0].Contents)
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("A", "t", "2", "4", "1"), ent("B", "t")}, nil)
}

// Deleting an entity deletes every relation from or to it, and nothing
// else; missing names are ignored. A name deleted may be created again,
// without its old relations.
func testDeleteEntitiesCascade(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("A", "t"), ent("B", "t"), ent("C", "t"), ent("D", "t"))
	mustRelate(t, s, "g", rel("A", "B", "r"), rel("B", "C", "r"), rel("C", "B", "r"), rel("B", "B", "self"),
		rel("C", "D", "r"), rel("A", "D", "r"))
	deleted, err := s.DeleteEntities(ctx, "g", []string{"Ghost", "B", "B"})
	require.NoError(t, err)
	require.Equal(t, []string{"B"}, deleted)
	requireGraph(t, wholeGraph(t, s, "g"), []mimo.Entity{ent("A", "t"), ent("C", "t"), ent("D", "t")},
		[]mimo.Relation{rel("A", "D", "r"), rel("C", "D", "r")})
	mustCreate(t, s, "g", ent("B", "new"))
	g, err := s.OpenNodes(ctx, "g", []string{"A", "B", "C"})
	require.NoError(t, err)
	requireGraph(t, g, []mimo.Entity{ent("A", "t"), ent("B", "new"), ent("C", "t")},
		[]mimo.Relation{rel("A", "D", "r"), rel("C", "D", "r")})
	for _, names := range [][]string{nil, {"Ghost"}} {
		deleted, err = s.DeleteEntities(ctx, "g", names)
		require.NoError(t, err)
		require.NotNil(t, deleted)
		require.Empty(t, deleted)
	}
}

// Parallel adds to one entity lose nothing and repeat nothing.
func testGraphParallelAdds(t *testing.T, s mimo.GraphStore) {
	ctx := t.Context()
	mustCreate(t, s, "g", ent("Hub", "t"))
	const workers, each = 6, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// Every worker also adds one shared observation.
				obs := []string{fmt.Sprintf("w%d-%d", w, i), "shared"}
				if _, err := s.AddObservations(ctx, "g", []mimo.ObservationAdd{{EntityName: "Hub", Contents: obs}}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	g, err := s.OpenNodes(ctx, "g", []string{"Hub"})
	require.NoError(t, err)
	require.Len(t, g.Entities, 1)
	assert.Len(t, g.Entities[0].Observations, workers*each+1)
	assert.ElementsMatch(t, uniqueOf(g.Entities[0].Observations), g.Entities[0].Observations, "no observation twice")
}

func uniqueOf(ss []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
