package mcpserver

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/system"
)

// The knowledge-graph tools, named, titled and shaped as the official MCP
// memory server's, so that agents written for it work unchanged. Mimo adds an
// optional namespace to each, and paging to read_graph and search_nodes.

type entitiesArgs struct {
	Namespace string        `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	Entities  []mimo.Entity `json:"entities" jsonschema:"entities to create; names already in the graph are skipped"`
}

type entitiesOut struct {
	Entities []mimo.Entity `json:"entities" jsonschema:"the entities created"`
}

type relationsArgs struct {
	Namespace string          `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	Relations []mimo.Relation `json:"relations" jsonschema:"directed relations, from and to naming existing entities, relationType in active voice"`
}

type relationsOut struct {
	Relations []mimo.Relation `json:"relations" jsonschema:"the relations created; ones already there are skipped"`
}

type addObservationsArgs struct {
	Namespace    string                `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	Observations []mimo.ObservationAdd `json:"observations" jsonschema:"per entity, observations to add"`
}

type addedObservations struct {
	EntityName        string   `json:"entityName"`
	AddedObservations []string `json:"addedObservations" jsonschema:"what was new; observations the entity held already are not repeated"`
}

type addObservationsOut struct {
	Results []addedObservations `json:"results"`
}

type deleteEntitiesArgs struct {
	Namespace   string   `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	EntityNames []string `json:"entityNames" jsonschema:"entities to delete, with every relation from or to them"`
}

type deleteObservationsArgs struct {
	Namespace string                   `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	Deletions []mimo.ObservationDelete `json:"deletions" jsonschema:"per entity, observations to remove"`
}

// The delete tools answer the official server's {success, message}, and
// what was deleted and what was not found, which it does not say.

type deleteEntitiesOut struct {
	Success  bool     `json:"success"`
	Message  string   `json:"message"`
	Deleted  []string `json:"deleted" jsonschema:"the entities deleted, with every relation from or to them"`
	NotFound []string `json:"not_found" jsonschema:"names the graph did not hold"`
}

type deleteObservationsOut struct {
	Success  bool                     `json:"success"`
	Message  string                   `json:"message"`
	Deleted  []mimo.ObservationDelete `json:"deleted" jsonschema:"per entity, the observations removed"`
	NotFound []mimo.ObservationDelete `json:"not_found" jsonschema:"per entity, the observations it did not hold (all of them when the entity does not exist)"`
}

type deleteRelationsOut struct {
	Success  bool            `json:"success"`
	Message  string          `json:"message"`
	Deleted  []mimo.Relation `json:"deleted" jsonschema:"the relations deleted"`
	NotFound []mimo.Relation `json:"not_found" jsonschema:"relations the graph did not hold"`
}

type readGraphArgs struct {
	Namespace string `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	Limit     int    `json:"limit,omitempty" jsonschema:"entities per page, 1 to 1000; default 100"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type searchNodesArgs struct {
	Namespace string `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	Query     string `json:"query" jsonschema:"text to find in entity names, types and observations, ignoring case"`
	Limit     int    `json:"limit,omitempty" jsonschema:"entities at most, 1 to 1000; default 100"`
}

type openNodesArgs struct {
	Namespace string   `json:"namespace,omitempty" jsonschema:"the graph's namespace; default \"default\""`
	Names     []string `json:"names" jsonschema:"entity names to open; unknown names are skipped"`
}

// graphOut is a graph as the tools return it.
type graphOut struct {
	Entities   []mimo.Entity   `json:"entities"`
	Relations  []mimo.Relation `json:"relations" jsonschema:"relations from or to the entities returned (read_graph: those from them, so each appears on one page)"`
	NextCursor string          `json:"next_cursor,omitempty" jsonschema:"read_graph only: pass as cursor for the next page; absent on the last"`
	// Relations are cut, never entities: open_nodes and search_nodes answer
	// every entity found, and a relation left out is still read by
	// opening the node at its other end.
	RelationsTruncated bool `json:"relations_truncated,omitempty" jsonschema:"search_nodes and open_nodes only: true when the entities had more than 10000 relations and only the first are given"`
}

var (
	// Creating what exists already is skipped: calling twice changes
	// nothing more.
	graphAdditive = &mcp.ToolAnnotations{DestructiveHint: ptr(false), IdempotentHint: true, OpenWorldHint: ptr(false)}
)

func (s *Server) addGraphTools() {
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "create_entities", Title: "Create Entities",
		Description: "Create multiple new entities in the knowledge graph.", Annotations: graphAdditive}, s.createEntities)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "create_relations", Title: "Create Relations",
		Description: "Create multiple new relations between entities in the knowledge graph. Relations should be in active voice.", Annotations: graphAdditive}, s.createRelations)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "add_observations", Title: "Add Observations",
		Description: "Add new observations to existing entities in the knowledge graph.", Annotations: graphAdditive}, s.addObservations)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "delete_entities", Title: "Delete Entities",
		Description: "Delete multiple entities and their associated relations from the knowledge graph.", Annotations: destructive}, s.deleteEntities)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "delete_observations", Title: "Delete Observations",
		Description: "Delete specific observations from entities in the knowledge graph.", Annotations: destructive}, s.deleteObservations)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "delete_relations", Title: "Delete Relations",
		Description: "Delete multiple relations from the knowledge graph.", Annotations: destructive}, s.deleteRelations)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "read_graph", Title: "Read Graph",
		Description: "Read the entire knowledge graph, a page of entities at a time.", Annotations: readOnly}, s.readGraph)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "search_nodes", Title: "Search Nodes",
		Description: "Search for nodes in the knowledge graph based on a query: entity names, types and observation content.", Annotations: readOnly}, s.searchNodes)
	mcp.AddTool(s.mcp, &mcp.Tool{Name: "open_nodes", Title: "Open Nodes",
		Description: "Open specific nodes in the knowledge graph by their names.", Annotations: readOnly}, s.openNodes)
}

func (s *Server) createEntities(ctx context.Context, _ *mcp.CallToolRequest, a entitiesArgs) (*mcp.CallToolResult, entitiesOut, error) {
	es, err := s.graph.CreateEntities(ctx, a.Namespace, a.Entities)
	if err != nil {
		return nil, entitiesOut{}, s.fail("create_entities", err)
	}
	s.graphChanged(ctx, a.Namespace, len(es) > 0)
	return nil, entitiesOut{Entities: es}, nil
}

func (s *Server) createRelations(ctx context.Context, _ *mcp.CallToolRequest, a relationsArgs) (*mcp.CallToolResult, relationsOut, error) {
	rs, err := s.graph.CreateRelations(ctx, a.Namespace, a.Relations)
	if err != nil {
		return nil, relationsOut{}, s.fail("create_relations", err)
	}
	s.graphChanged(ctx, a.Namespace, len(rs) > 0)
	return nil, relationsOut{Relations: rs}, nil
}

func (s *Server) addObservations(ctx context.Context, _ *mcp.CallToolRequest, a addObservationsArgs) (*mcp.CallToolResult, addObservationsOut, error) {
	added, err := s.graph.AddObservations(ctx, a.Namespace, a.Observations)
	if err != nil {
		return nil, addObservationsOut{}, s.fail("add_observations", err)
	}
	out := addObservationsOut{Results: make([]addedObservations, len(added))}
	changed := false
	for i, x := range added {
		out.Results[i] = addedObservations{EntityName: x.EntityName, AddedObservations: nonNil(x.Contents)}
		changed = changed || len(x.Contents) > 0
	}
	s.graphChanged(ctx, a.Namespace, changed)
	return nil, out, nil
}

func (s *Server) deleteEntities(ctx context.Context, _ *mcp.CallToolRequest, a deleteEntitiesArgs) (*mcp.CallToolResult, deleteEntitiesOut, error) {
	deleted, err := s.graph.DeleteEntities(ctx, a.Namespace, a.EntityNames)
	if err != nil {
		return nil, deleteEntitiesOut{}, s.fail("delete_entities", err)
	}
	s.graphChanged(ctx, a.Namespace, len(deleted) > 0)
	return nil, deleteEntitiesOut{Success: true, Message: "Entities deleted successfully",
		Deleted: deleted, NotFound: missing(a.EntityNames, deleted)}, nil
}

func (s *Server) deleteObservations(ctx context.Context, _ *mcp.CallToolRequest, a deleteObservationsArgs) (*mcp.CallToolResult, deleteObservationsOut, error) {
	removed, err := s.graph.DeleteObservations(ctx, a.Namespace, a.Deletions)
	if err != nil {
		return nil, deleteObservationsOut{}, s.fail("delete_observations", err)
	}
	out := deleteObservationsOut{Success: true, Message: "Observations deleted successfully",
		Deleted: []mimo.ObservationDelete{}, NotFound: []mimo.ObservationDelete{}}
	for i, r := range removed {
		if len(r.Observations) > 0 {
			out.Deleted = append(out.Deleted, r)
		}
		if rest := missing(a.Deletions[i].Observations, r.Observations); len(rest) > 0 {
			out.NotFound = append(out.NotFound, mimo.ObservationDelete{EntityName: r.EntityName, Observations: rest})
		}
	}
	s.graphChanged(ctx, a.Namespace, len(out.Deleted) > 0)
	return nil, out, nil
}

func (s *Server) deleteRelations(ctx context.Context, _ *mcp.CallToolRequest, a relationsArgs) (*mcp.CallToolResult, deleteRelationsOut, error) {
	deleted, err := s.graph.DeleteRelations(ctx, a.Namespace, a.Relations)
	if err != nil {
		return nil, deleteRelationsOut{}, s.fail("delete_relations", err)
	}
	s.graphChanged(ctx, a.Namespace, len(deleted) > 0)
	return nil, deleteRelationsOut{Success: true, Message: "Relations deleted successfully",
		Deleted: deleted, NotFound: missing(a.Relations, deleted)}, nil
}

// missing returns the items of asked not in got, each once, in order
// (never nil).
func missing[T comparable](asked, got []T) []T {
	seen := make(map[T]bool, len(got)+len(asked))
	for _, x := range got {
		seen[x] = true
	}
	out := make([]T, 0, len(asked))
	for _, x := range asked {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) readGraph(ctx context.Context, _ *mcp.CallToolRequest, a readGraphArgs) (*mcp.CallToolResult, graphOut, error) {
	g, err := s.graph.ReadGraph(ctx, a.Namespace, a.Cursor, a.Limit)
	if err != nil {
		return nil, graphOut{}, s.fail("read_graph", err)
	}
	return nil, toGraphOut(g), nil
}

func (s *Server) searchNodes(ctx context.Context, _ *mcp.CallToolRequest, a searchNodesArgs) (*mcp.CallToolResult, graphOut, error) {
	g, err := s.graph.SearchNodes(ctx, a.Namespace, a.Query, a.Limit)
	if err != nil {
		return nil, graphOut{}, s.fail("search_nodes", err)
	}
	return nil, toGraphOut(g), nil
}

func (s *Server) openNodes(ctx context.Context, _ *mcp.CallToolRequest, a openNodesArgs) (*mcp.CallToolResult, graphOut, error) {
	g, err := s.graph.OpenNodes(ctx, a.Namespace, a.Names)
	if err != nil {
		return nil, graphOut{}, s.fail("open_nodes", err)
	}
	return nil, toGraphOut(g), nil
}

func toGraphOut(g *mimo.Graph) graphOut {
	out := graphOut{Entities: g.Entities, Relations: g.Relations, NextCursor: g.NextCursor, RelationsTruncated: g.RelationsTruncated}
	if out.Entities == nil {
		out.Entities = []mimo.Entity{}
	}
	for i := range out.Entities {
		out.Entities[i].Observations = nonNil(out.Entities[i].Observations)
	}
	if out.Relations == nil {
		out.Relations = []mimo.Relation{}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
