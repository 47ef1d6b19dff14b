package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type graphView struct {
	Entities []struct {
		Name         string   `json:"name"`
		EntityType   string   `json:"entityType"`
		Observations []string `json:"observations"`
	} `json:"entities"`
	Relations []struct {
		From         string `json:"from"`
		To           string `json:"to"`
		RelationType string `json:"relationType"`
	} `json:"relations"`
	NextCursor string `json:"next_cursor"`
}

func (g graphView) names() []string {
	var out []string
	for _, e := range g.Entities {
		out = append(out, e.Name)
	}
	return out
}

func entity(name, typ string, obs ...string) map[string]any {
	return map[string]any{"name": name, "entityType": typ, "observations": obs}
}

func relation(from, to, typ string) map[string]any {
	return map[string]any{"from": from, "to": to, "relationType": typ}
}

// The nine tools answer in the official memory server's shapes.
func TestGraphToolsInTheOfficialShapes(t *testing.T) {
	f := newFixture(t)
	var created graphView
	f.call(t, "create_entities", map[string]any{"entities": []any{
		entity("Alice", "person", "works on the billing team"),
		entity("Bob", "person"),
		entity("Billing", "team", "owns invoices"),
	}}, &created)
	assert.Equal(t, []string{"Alice", "Bob", "Billing"}, created.names())
	f.call(t, "create_entities", map[string]any{"entities": []any{entity("Alice", "robot"), entity("Carol", "person")}}, &created)
	assert.Equal(t, []string{"Carol"}, created.names(), "an existing name is skipped")

	var rels graphView
	f.call(t, "create_relations", map[string]any{"relations": []any{
		relation("Alice", "Billing", "works_in"), relation("Bob", "Alice", "reports_to"),
	}}, &rels)
	assert.Len(t, rels.Relations, 2)
	f.call(t, "create_relations", map[string]any{"relations": []any{relation("Alice", "Billing", "works_in")}}, &rels)
	assert.Empty(t, rels.Relations, "an existing relation is skipped")
	msg := f.toolError(t, "create_relations", map[string]any{"relations": []any{relation("Alice", "Nobody", "knows")}})
	assert.True(t, strings.HasPrefix(msg, "not_found: "), msg)
	assert.Contains(t, msg, "Nobody")

	var added struct {
		Results []struct {
			EntityName        string   `json:"entityName"`
			AddedObservations []string `json:"addedObservations"`
		} `json:"results"`
	}
	f.call(t, "add_observations", map[string]any{"observations": []any{
		map[string]any{"entityName": "Alice", "contents": []string{"works on the billing team", "speaks Portuguese"}},
	}}, &added)
	require.Len(t, added.Results, 1)
	assert.Equal(t, []string{"speaks Portuguese"}, added.Results[0].AddedObservations, "only what is new")
	msg = f.toolError(t, "add_observations", map[string]any{"observations": []any{
		map[string]any{"entityName": "Nobody", "contents": []string{"x"}},
	}})
	assert.True(t, strings.HasPrefix(msg, "not_found: "), msg)

	var found graphView
	f.call(t, "search_nodes", map[string]any{"query": "PORTUGUESE"}, &found)
	assert.Equal(t, []string{"Alice"}, found.names(), "case is ignored, observations are searched")
	f.call(t, "search_nodes", map[string]any{"query": "person"}, &found)
	assert.ElementsMatch(t, []string{"Alice", "Bob", "Carol"}, found.names(), "types are searched")
	require.Len(t, found.Relations, 2, "relations with an end among the results, as the official server answers")
	assert.Equal(t, "works_in", found.Relations[0].RelationType, "Alice → Billing: Billing is no person")
	assert.Equal(t, "reports_to", found.Relations[1].RelationType)

	var opened graphView
	f.call(t, "open_nodes", map[string]any{"names": []string{"Billing", "Nobody"}}, &opened)
	assert.Equal(t, []string{"Billing"}, opened.names())
	require.Len(t, opened.Relations, 1, "the relation to Billing, though Alice was not opened")
	assert.Equal(t, "works_in", opened.Relations[0].RelationType)

	// read_graph pages through everything; each relation appears once.
	var all []string
	relations := 0
	for cursor := ""; ; {
		var page graphView
		f.call(t, "read_graph", map[string]any{"limit": 2, "cursor": cursor}, &page)
		all = append(all, page.names()...)
		relations += len(page.Relations)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	assert.Equal(t, []string{"Alice", "Billing", "Bob", "Carol"}, all)
	assert.Equal(t, 2, relations)

	var obs struct {
		Success  bool             `json:"success"`
		Message  string           `json:"message"`
		Deleted  []map[string]any `json:"deleted"`
		NotFound []map[string]any `json:"not_found"`
	}
	f.call(t, "delete_observations", map[string]any{"deletions": []any{
		map[string]any{"entityName": "Alice", "observations": []string{"speaks Portuguese", "never said"}},
		map[string]any{"entityName": "Nobody", "observations": []string{"x"}},
	}}, &obs)
	assert.True(t, obs.Success)
	assert.Equal(t, "Observations deleted successfully", obs.Message)
	assert.Equal(t, []map[string]any{{"entityName": "Alice", "observations": []any{"speaks Portuguese"}}}, obs.Deleted)
	assert.Equal(t, []map[string]any{{"entityName": "Alice", "observations": []any{"never said"}},
		{"entityName": "Nobody", "observations": []any{"x"}}}, obs.NotFound)
	var rs struct {
		Success  bool   `json:"success"`
		Message  string `json:"message"`
		Deleted  []any  `json:"deleted"`
		NotFound []any  `json:"not_found"`
	}
	f.call(t, "delete_relations", map[string]any{"relations": []any{relation("Bob", "Alice", "reports_to"), relation("Bob", "Alice", "likes")}}, &rs)
	assert.True(t, rs.Success)
	assert.Equal(t, "Relations deleted successfully", rs.Message)
	assert.Equal(t, []any{map[string]any{"from": "Bob", "to": "Alice", "relationType": "reports_to"}}, rs.Deleted)
	assert.Equal(t, []any{map[string]any{"from": "Bob", "to": "Alice", "relationType": "likes"}}, rs.NotFound)
	var es struct {
		Success  bool     `json:"success"`
		Message  string   `json:"message"`
		Deleted  []string `json:"deleted"`
		NotFound []string `json:"not_found"`
	}
	f.call(t, "delete_entities", map[string]any{"entityNames": []string{"Billing", "Nobody", "Billing"}}, &es)
	assert.True(t, es.Success)
	assert.Equal(t, "Entities deleted successfully", es.Message)
	assert.Equal(t, []string{"Billing"}, es.Deleted)
	assert.Equal(t, []string{"Nobody"}, es.NotFound)
	var rest graphView
	f.call(t, "read_graph", nil, &rest)
	assert.Equal(t, []string{"Alice", "Bob", "Carol"}, rest.names())
	assert.Empty(t, rest.Relations, "deleting an entity deletes its relations")
	assert.Equal(t, []string{"works on the billing team"}, rest.Entities[0].Observations)
}

func TestGraphNamespacesNeverLeak(t *testing.T) {
	f := newFixture(t)
	var g graphView
	f.call(t, "create_entities", map[string]any{"namespace": "alice", "entities": []any{entity("Secret", "plan", "launch on Monday")}}, &g)
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"read_graph", map[string]any{"namespace": "bob"}},
		{"search_nodes", map[string]any{"namespace": "bob", "query": "launch"}},
		{"open_nodes", map[string]any{"namespace": "bob", "names": []string{"Secret"}}},
	} {
		f.call(t, tc.tool, tc.args, &g)
		assert.Empty(t, g.Entities, "%s from another namespace", tc.tool)
	}
	f.call(t, "delete_entities", map[string]any{"namespace": "bob", "entityNames": []string{"Secret"}}, nil)
	msg := f.toolError(t, "add_observations", map[string]any{"namespace": "bob", "observations": []any{
		map[string]any{"entityName": "Secret", "contents": []string{"x"}},
	}})
	assert.True(t, strings.HasPrefix(msg, "not_found: "), msg)
	f.call(t, "open_nodes", map[string]any{"namespace": "alice", "names": []string{"Secret"}}, &g)
	require.Len(t, g.Entities, 1, "untouched in its own namespace")
	assert.Equal(t, []string{"launch on Monday"}, g.Entities[0].Observations)
}

func TestGraphBadInputIsAToolError(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, tool string
		args       map[string]any
		want       string
	}{
		{"missing entities", "create_entities", map[string]any{}, "entities"},
		{"entity without a type", "create_entities", map[string]any{"entities": []any{map[string]any{"name": "A", "observations": []string{}}}}, "entityType"},
		{"blank name", "create_entities", map[string]any{"entities": []any{entity(" ", "t")}}, "invalid: entities[0].name"},
		{"name too long", "create_entities", map[string]any{"entities": []any{entity(strings.Repeat("n", 257), "t")}}, "invalid: "},
		{"control character", "create_entities", map[string]any{"entities": []any{entity("a\x07b", "t")}}, "invalid: "},
		{"empty observation", "add_observations", map[string]any{"observations": []any{map[string]any{"entityName": "A", "contents": []string{""}}}}, "invalid: "},
		{"empty query", "search_nodes", map[string]any{"query": ""}, "invalid: "},
		{"limit too large", "read_graph", map[string]any{"limit": 5000}, "invalid: limit"},
		{"bad cursor", "read_graph", map[string]any{"cursor": "%%%"}, "invalid: "},
		{"unknown argument", "open_nodes", map[string]any{"names": []string{"A"}, "depth": 2}, "depth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Contains(t, f.toolError(t, tc.tool, tc.args), tc.want)
		})
	}
	var g graphView
	f.call(t, "read_graph", nil, &g)
	assert.Empty(t, g.Entities, "no bad call created anything")
}
