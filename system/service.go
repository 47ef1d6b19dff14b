package mimo

import (
	"context"
	"encoding/json"
)

// Service is what the front doors (REST in httpapi, MCP in mcpserver) call.
// Package memory implements it; both doors call the same methods, so they
// cannot disagree. Every method validates its input and returns *Error.
type Service interface {
	// Store stores one memory. See StoreResult for the outcomes.
	Store(ctx context.Context, r StoreRequest) (*StoreResult, error)
	// StoreBatch stores many, each validated on its own; one bad item does
	// not stop the others. At most MaxBatch items (else EINVALID).
	StoreBatch(ctx context.Context, rs []StoreRequest) ([]BatchItemResult, error)
	// Get returns one memory and records the access.
	Get(ctx context.Context, namespace, id string) (*Memory, error)
	// Update changes the given fields of one memory.
	Update(ctx context.Context, namespace, id string, u UpdateRequest) (*Memory, error)
	// Delete removes one memory from the database and both indexes.
	Delete(ctx context.Context, namespace, id string) error
	// List returns one page of memories, newest first.
	List(ctx context.Context, q ListQuery) (*ListPage, error)
	// Search runs a hybrid search.
	Search(ctx context.Context, q SearchQuery) (*SearchPage, error)
	// Health reports the state of each dependency.
	Health(ctx context.Context) Health
	// Ask answers a question from memory (see Answer).
	Ask(ctx context.Context, r AskRequest) (*Answer, error)
	// Stats reports one namespace: how many memories it holds, and the
	// service's health. It counts no other namespace's memories.
	Stats(ctx context.Context, namespace string) (*Stats, error)
}

// GraphService is the knowledge graph's front door (the MCP graph tools).
// Package memory implements it over a mimo.GraphStore; every method
// validates its input (names and types 1 to MaxEntityNameBytes of UTF-8
// without control characters, observations as memory content, at most
// MaxGraphBatch items a call) and returns *Error. The semantics are
// GraphStore's.
type GraphService interface {
	CreateEntities(ctx context.Context, namespace string, es []Entity) ([]Entity, error)
	CreateRelations(ctx context.Context, namespace string, rs []Relation) ([]Relation, error)
	AddObservations(ctx context.Context, namespace string, adds []ObservationAdd) ([]ObservationAdd, error)
	DeleteEntities(ctx context.Context, namespace string, names []string) ([]string, error)
	DeleteObservations(ctx context.Context, namespace string, dels []ObservationDelete) ([]ObservationDelete, error)
	DeleteRelations(ctx context.Context, namespace string, rs []Relation) ([]Relation, error)
	ReadGraph(ctx context.Context, namespace, cursor string, limit int) (*Graph, error)
	SearchNodes(ctx context.Context, namespace, query string, limit int) (*Graph, error)
	OpenNodes(ctx context.Context, namespace string, names []string) (*Graph, error)
}

// MaxBatch is the most items one StoreBatch call takes.
const MaxBatch = 1000

// StoreRequest is a memory to store. Zero fields take their defaults:
// namespace "default", category "fact", importance 0.5.
type StoreRequest struct {
	Namespace  string          `json:"namespace,omitempty"`
	Content    string          `json:"content"`
	Category   Category        `json:"category,omitempty"`
	Importance *float64        `json:"importance,omitempty"`
	Tags       []string        `json:"tags,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	Supersedes string          `json:"supersedes,omitempty"`
}

// StoreResult says what Store did. Created is false when identical content
// was already stored (Memory is then the existing one). DuplicateOf names a
// near-duplicate (cosine >= 0.95, same category) that was already there; the
// new memory is stored all the same. Queued is true when the database was
// down and the write went to the durable spool, to be applied later;
// Status is then StatusQueued, Created true and Memory the memory as it
// will be stored, with its final id.
type StoreResult struct {
	Memory      *Memory `json:"memory"`
	Created     bool    `json:"created"`
	DuplicateOf string  `json:"duplicate_of,omitempty"`
	Queued      bool    `json:"queued,omitempty"`
	Status      string  `json:"status,omitempty"`
}

// StatusQueued is a queued write's Status.
const StatusQueued = "queued"

// BatchItemResult is one item of StoreBatch: a result or an error.
type BatchItemResult struct {
	Result *StoreResult
	Err    error
}

// UpdateRequest is a partial update; nil fields are left as they are.
type UpdateRequest struct {
	Content    *string          `json:"content,omitempty"`
	Category   *Category        `json:"category,omitempty"`
	Importance *float64         `json:"importance,omitempty"`
	Tags       *[]string        `json:"tags,omitempty"`
	Metadata   *json.RawMessage `json:"metadata,omitempty"`
}

// Health statuses.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	StatusDown     = "down"
)

// Health is the state of the service and its dependencies.
type Health struct {
	Status          string               `json:"status"`
	Components      map[string]Component `json:"components"`
	Memories        int64                `json:"memories"`
	ClassifierCache CacheStats           `json:"classifier_cache"`
	Reembed         *ReembedStatus       `json:"reembed,omitempty"`
	Spool           SpoolStats           `json:"spool"`
}

// ReembedStatus is the progress of background re-embedding: the memories
// stored without a vector (while the embedder was failing) that are still
// to be embedded, how many this process has embedded since it started,
// and whether a pass is running now.
type ReembedStatus struct {
	Pending int64 `json:"pending"`
	Done    int64 `json:"done"`
	Running bool  `json:"running"`
}

// SpoolStats is the write spool's backlog: writes acknowledged as queued
// while the database was failing and not yet applied, and their bytes on
// disk. Both are zero without a spool.
type SpoolStats struct {
	Pending int   `json:"pending"`
	Bytes   int64 `json:"bytes"`
}

// Stats is one namespace's view of the service (the MCP tool memory_stats).
// Memories counts that namespace only, superseded memories included.
type Stats struct {
	Namespace       string               `json:"namespace"`
	Memories        int64                `json:"memories"`
	Status          string               `json:"status"`
	Components      map[string]Component `json:"components"`
	ClassifierCache CacheStats           `json:"classifier_cache"`
}

// Component is the state of one dependency (db, embedder, llm). Circuit is
// its breaker's state: "closed", "half-open" or "open".
type Component struct {
	Status  string `json:"status"`
	Circuit string `json:"circuit"`
	Error   string `json:"error,omitempty"`
}
