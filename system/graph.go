package mimo

import "context"

// The knowledge graph: per namespace, entities (nodes) and directed,
// typed relations between them. Types and JSON names follow the official
// MCP memory server, so its tools' arguments and answers read the same.

// Entity is a node. Name is unique within its namespace.
type Entity struct {
	Name         string   `json:"name"`
	EntityType   string   `json:"entityType"`
	Observations []string `json:"observations"`
}

// Relation is a directed edge From → To. The three fields together are
// unique within a namespace.
type Relation struct {
	From         string `json:"from"`
	To           string `json:"to"`
	RelationType string `json:"relationType"`
}

// ObservationAdd adds Contents to the entity named EntityName.
type ObservationAdd struct {
	EntityName string   `json:"entityName"`
	Contents   []string `json:"contents"`
}

// ObservationDelete removes Observations from the entity named EntityName.
type ObservationDelete struct {
	EntityName   string   `json:"entityName"`
	Observations []string `json:"observations"`
}

// Graph is a set of entities and relations of theirs. NextCursor,
// from ReadGraph, is "" on the last page. RelationsTruncated, from
// SearchNodes and OpenNodes, says the entities' relations were more than
// MaxGraphRelations and only the first of them (in order) are given.
type Graph struct {
	Entities           []Entity   `json:"entities"`
	Relations          []Relation `json:"relations"`
	NextCursor         string     `json:"next_cursor,omitempty"`
	RelationsTruncated bool       `json:"relations_truncated,omitempty"`
}

// Graph limits, enforced by the service.
const (
	MaxGraphBatch       = 1000     // entities, relations or observation groups per call
	MaxEntityNameBytes  = 256      // also entity and relation types
	MaxObservationBytes = 64 << 10 // one observation
	MaxObservations     = 1000     // observations of one entity, and per add
	DefaultGraphLimit   = 100      // entities per ReadGraph page and SearchNodes answer
	MaxGraphLimit       = 1000
	MaxGraphRelations   = 10_000 // relations in one SearchNodes or OpenNodes answer
)

// GraphStore keeps the knowledge graph. Every method works within one
// namespace ("" means DefaultNamespace) and never reads or touches
// another's. Returned slices are non-nil; entities are ordered by name
// (CreateEntities' in input order), relations by (From, To, RelationType),
// observations in the order they were added. Input is trusted to be valid (the service validates it).
type GraphStore interface {
	// CreateEntities creates, in input order, each entity whose name the
	// namespace does not hold yet (a name repeated in the input counts
	// once, first wins), with its observations once each, and returns
	// those it created. Existing names are skipped, as the official server
	// does.
	CreateEntities(ctx context.Context, namespace string, es []Entity) ([]Entity, error)
	// CreateRelations creates each relation not already there and returns
	// those it created. Both ends must be entities of the namespace: a
	// missing one is ENOTFOUND, naming it, and nothing is created.
	CreateRelations(ctx context.Context, namespace string, rs []Relation) ([]Relation, error)
	// AddObservations appends to each named entity the contents it does
	// not hold yet, and returns per entity what it added. A missing entity
	// is ENOTFOUND, naming it, and nothing is added.
	AddObservations(ctx context.Context, namespace string, adds []ObservationAdd) ([]ObservationAdd, error)
	// DeleteEntities deletes the named entities and every relation from or
	// to them, and returns the names it deleted, each once, in input order.
	// Missing names are ignored.
	DeleteEntities(ctx context.Context, namespace string, names []string) ([]string, error)
	// DeleteObservations removes the given observations and returns, per
	// input item, the observations it removed (each once, in input order;
	// none for a missing entity). Missing entities and observations are
	// ignored.
	DeleteObservations(ctx context.Context, namespace string, dels []ObservationDelete) ([]ObservationDelete, error)
	// DeleteRelations deletes the given relations and returns those it
	// deleted, each once, in input order. Missing ones are ignored.
	DeleteRelations(ctx context.Context, namespace string, rs []Relation) ([]Relation, error)
	// ReadGraph returns one page of the whole graph: up to limit entities
	// by name after cursor ("" starts at the first), and the relations
	// whose From is one of them, so that every relation appears on exactly
	// one page. Limit 0 means DefaultGraphLimit, more than MaxGraphLimit is
	// cut to it. A cursor the store did not make is EINVALID.
	ReadGraph(ctx context.Context, namespace, cursor string, limit int) (*Graph, error)
	// SearchNodes returns up to limit entities whose name, type or an
	// observation contains query, ignoring case (query is plain text, no
	// syntax), and the relations with at least one end among them (as the
	// official server does, so a caller sees their connections): the first
	// MaxGraphRelations of them, with RelationsTruncated set when there are
	// more. Limit as in ReadGraph.
	SearchNodes(ctx context.Context, namespace, query string, limit int) (*Graph, error)
	// OpenNodes returns the named entities (missing names are skipped) and
	// the relations with at least one end among them, bounded as in
	// SearchNodes.
	OpenNodes(ctx context.Context, namespace string, names []string) (*Graph, error)
}

// EntityFinder is a GraphStore that can search for several queries in one
// read, as a question's graph retrieval does for its words. FindEntities
// returns, for each query in order, the entities SearchNodes would return
// for it with the same limit, without the relations, all from one snapshot
// of the namespace's graph.
type EntityFinder interface {
	FindEntities(ctx context.Context, namespace string, queries []string, limit int) ([][]Entity, error)
}
