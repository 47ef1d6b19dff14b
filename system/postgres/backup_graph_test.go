package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres"
	"mimo/system/storetest"
)

// The graph is in the snapshot, after the memories, and restores exactly:
// the same entities (observations in order, timestamps), relations and
// search text, across namespaces and more rows than one FETCH or COPY.
func TestBackupRestoreGraph(t *testing.T) {
	ctx := context.Background()
	src, srcURL := fresh(t)
	_, _, err := src.CreateMemory(ctx, storetest.NewMemory("ns-a", "a memory beside the graph"))
	require.NoError(t, err)
	_, err = src.CreateEntities(ctx, "ns-a", []mimo.Entity{
		{Name: "Ada", EntityType: "person", Observations: []string{"wrote the first program", "ÉCOLE", "a \"quoted\"\nline"}},
		{Name: "Engine", EntityType: "machine", Observations: []string{}},
		{Name: "Zeta", EntityType: "letter", Observations: []string{"Ω"}},
	})
	require.NoError(t, err)
	_, err = src.CreateRelations(ctx, "ns-a", []mimo.Relation{
		{From: "Ada", To: "Engine", RelationType: "programmed"}, {From: "Engine", To: "Ada", RelationType: "built for"},
		{From: "Zeta", To: "Zeta", RelationType: "is"},
	})
	require.NoError(t, err)
	_, err = src.CreateEntities(ctx, "ns-b", []mimo.Entity{{Name: "Ada", EntityType: "ship", Observations: []string{}}})
	require.NoError(t, err)
	const bulk = 1200 // more than one FETCH (500) and one COPY (1000)
	var es []mimo.Entity
	var rs []mimo.Relation
	for i := range bulk {
		es = append(es, mimo.Entity{Name: fmt.Sprintf("n%04d", i), EntityType: "bulk", Observations: []string{fmt.Sprint(i)}})
		if i > 0 {
			rs = append(rs, mimo.Relation{From: fmt.Sprintf("n%04d", i-1), To: fmt.Sprintf("n%04d", i), RelationType: "next"})
		}
	}
	for _, chunk := range [][]mimo.Entity{es[:1000], es[1000:]} {
		_, err = src.CreateEntities(ctx, "bulk", chunk)
		require.NoError(t, err)
	}
	for _, chunk := range [][]mimo.Relation{rs[:1000], rs[1000:]} {
		_, err = src.CreateRelations(ctx, "bulk", chunk)
		require.NoError(t, err)
	}

	path := filepath.Join(t.TempDir(), "graph.jsonl")
	require.NoError(t, src.Backup(ctx, path))
	lines := snapshotLines(t, path)
	var h map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &h))
	assert.EqualValues(t, 2, h["format_version"])
	assert.EqualValues(t, 1, h["memories"])
	assert.EqualValues(t, 3+1+bulk, h["entities"])
	assert.EqualValues(t, 3+bulk-1, h["relations"])
	assert.NotContains(t, lines[1], `"kind"`, "memories come first")
	assert.Contains(t, lines[2], `"kind":"entity"`)
	assert.Contains(t, lines[len(lines)-1], `"kind":"relation"`)
	assert.Len(t, lines, 1+1+3+1+bulk+3+bulk-1)

	dst, dstURL := fresh(t)
	require.NoError(t, dst.Restore(ctx, path, false))
	for _, ns := range []string{"ns-a", "ns-b", "bulk"} {
		assert.Equal(t, readWholeGraph(t, src, ns), readWholeGraph(t, dst, ns), "namespace %s", ns)
	}
	assert.Equal(t, graphRows(t, srcURL), graphRows(t, dstURL), "timestamps and search text are restored")
	g, err := dst.SearchNodes(ctx, "ns-a", "école", 0)
	require.NoError(t, err)
	assert.Len(t, g.Entities, 1, "the restored graph is searchable")
	n, err := dst.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

// A version 1 snapshot (before the graph) still restores, and leaves the
// graph empty; a database holding only a graph is not replaced without
// force.
func TestRestoreVersion1Snapshot(t *testing.T) {
	ctx := context.Background()
	src, _ := fresh(t)
	m := storetest.NewMemory("old", "from the days before the graph")
	_, _, err := src.CreateMemory(ctx, m)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "new.jsonl")
	require.NoError(t, src.Backup(ctx, path))
	lines := snapshotLines(t, path)
	v1 := filepath.Join(t.TempDir(), "v1.jsonl")
	header := editJSON(t, lines[0], func(h map[string]any) {
		h["format_version"], h["schema_version"] = 1, 2
		delete(h, "entities")
		delete(h, "relations")
	})
	require.NoError(t, os.WriteFile(v1, []byte(header+"\n"+lines[1]+"\n"), 0o600))

	dst, _ := fresh(t)
	_, err = dst.CreateEntities(ctx, "old", []mimo.Entity{{Name: "only a graph", EntityType: "t", Observations: []string{}}})
	require.NoError(t, err)
	err = dst.Restore(ctx, v1, false)
	assert.Equal(t, mimo.ECONFLICT, mimo.ErrorCode(err), "a graph counts as content: %v", err)
	assert.Len(t, readWholeGraph(t, dst, "old").Entities, 1)

	require.NoError(t, dst.Restore(ctx, v1, true))
	got, err := dst.GetMemory(ctx, "old", m.ID)
	require.NoError(t, err)
	storetest.AssertSameMemory(t, m, got, true)
	assert.Empty(t, readWholeGraph(t, dst, "old").Entities, "force replaces the graph too")

	empty, _ := fresh(t)
	require.NoError(t, empty.Restore(ctx, v1, false))
}

// A snapshot whose graph lines are malformed or inconsistent is EINVALID
// and changes nothing.
func TestRestoreRejectsBadGraphLines(t *testing.T) {
	ctx := context.Background()
	src, _ := fresh(t)
	_, _, err := src.CreateMemory(ctx, storetest.NewMemory("bad", "the one memory"))
	require.NoError(t, err)
	_, err = src.CreateEntities(ctx, "bad", []mimo.Entity{
		{Name: "A", EntityType: "t", Observations: []string{"a1", "a2"}}, {Name: "B", EntityType: "t", Observations: []string{}},
	})
	require.NoError(t, err)
	_, err = src.CreateRelations(ctx, "bad", []mimo.Relation{{From: "A", To: "B", RelationType: "r"}})
	require.NoError(t, err)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	require.NoError(t, src.Backup(ctx, good))
	l := snapshotLines(t, good)
	require.Len(t, l, 5) // header, memory, A, B, relation
	header := func(edit func(map[string]any)) string { return editJSON(t, l[0], edit) }
	counts := func(entities, relations int) string {
		return header(func(h map[string]any) { h["entities"], h["relations"] = entities, relations })
	}
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

	dst, _ := fresh(t)
	_, err = dst.CreateEntities(ctx, "bad", []mimo.Entity{{Name: "bystander", EntityType: "t", Observations: []string{"kept"}}})
	require.NoError(t, err)
	before := readWholeGraph(t, dst, "bad")

	cases := map[string]string{
		"relation to a missing entity": join(counts(1, 1), l[1], l[2], l[4]),
		"entity twice":                 join(counts(3, 1), l[1], l[2], l[2], l[3], l[4]),
		"relation twice":               join(counts(2, 2), l[1], l[2], l[3], l[4], l[4]),
		"truncated graph":              join(l[0], l[1], l[2], l[3]),
		"graph in a version 1 file":    join(header(func(h map[string]any) { h["format_version"] = 1 }), l[1], l[2], l[3], l[4]),
		"future version":               join(header(func(h map[string]any) { h["format_version"] = 99 }), l[1], l[2], l[3], l[4]),
		"unknown kind":                 join(l[0], l[1], l[2], l[3], strings.Replace(l[4], `"kind":"relation"`, `"kind":"edge"`, 1)),
		"unknown entity field":         join(l[0], l[1], strings.Replace(l[2], `"kind":"entity"`, `"kind":"entity","surprise":1`, 1), l[3], l[4]),
		"entity without a name":        join(l[0], l[1], l[2], strings.Replace(l[3], `"name":"B"`, `"name":""`, 1), l[4]),
		"observation twice":            join(l[0], l[1], strings.Replace(l[2], `["a1","a2"]`, `["a1","a1"]`, 1), l[3], l[4]),
		"entity without times":         join(l[0], l[1], editJSON(t, l[2], func(m map[string]any) { delete(m, "created_at") }), l[3], l[4]),
	}
	for name, content := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".jsonl")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		err := dst.Restore(ctx, path, true)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "%s: %v", name, err)
		t.Logf("%s: %v", name, err)
	}
	assert.Equal(t, before, readWholeGraph(t, dst, "bad"), "nothing was changed")

	require.NoError(t, dst.Restore(ctx, good, true))
	g := readWholeGraph(t, dst, "bad")
	assert.Equal(t, []string{"A", "B"}, []string{g.Entities[0].Name, g.Entities[1].Name})
	assert.Len(t, g.Relations, 1)
}

// snapshotLines returns the lines of a snapshot, without newlines.
func snapshotLines(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
}

// editHeader applies edit to a header line and returns the new line.
func editJSON(t *testing.T, line string, edit func(map[string]any)) string {
	t.Helper()
	var h map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &h))
	edit(h)
	b, err := json.Marshal(h)
	require.NoError(t, err)
	return string(b)
}

// readWholeGraph reads every page of a namespace's graph.
func readWholeGraph(t *testing.T, s *postgres.Store, ns string) *mimo.Graph {
	t.Helper()
	all := &mimo.Graph{Entities: []mimo.Entity{}, Relations: []mimo.Relation{}}
	cursor := ""
	for {
		g, err := s.ReadGraph(context.Background(), ns, cursor, mimo.MaxGraphLimit)
		require.NoError(t, err)
		all.Entities = append(all.Entities, g.Entities...)
		all.Relations = append(all.Relations, g.Relations...)
		if cursor = g.NextCursor; cursor == "" {
			return all
		}
	}
}

// graphRows returns every entity row as text, with its timestamps and
// search column, which the store's methods do not show.
func graphRows(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT namespace, name, created_at, updated_at, search FROM entities ORDER BY namespace, name`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (string, error) {
		var ns, name, search string
		var created, updated time.Time
		err := row.Scan(&ns, &name, &created, &updated, &search)
		return fmt.Sprintf("%s|%s|%s|%s|%q", ns, name, created.UTC().Format(time.RFC3339Nano), updated.UTC().Format(time.RFC3339Nano), search), err
	})
	require.NoError(t, err)
	return out
}
