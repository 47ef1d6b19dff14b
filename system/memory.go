// Package mimo holds Mimo's domain: memories, queries and results, the
// knowledge graph's types, the interfaces between the parts of the server and
// the one error type. It imports no other package of the project and no
// driver; every other package depends on it, not on each other.
package mimo

import (
	"encoding/json"
	"time"
)

// Limits of the memory model. Values outside them are EINVALID (or ETOOLARGE
// for content), checked by Memory.Validate before anything is stored.
const (
	MaxContentBytes   = 64 * 1024 // content is at most 64 KiB of UTF-8
	MaxTags           = 32        // tags per memory
	MaxTagBytes       = 128       // bytes per tag
	MaxNamespaceLen   = 128       // bytes in a namespace name
	MaxMetadataBytes  = 16 * 1024 // encoded metadata object
	DefaultNamespace  = "default"
	DefaultImportance = 0.5
)

// Category says what kind of thing a memory records.
type Category string

// The categories SPEC names. The default for a new memory is CategoryFact.
const (
	CategoryFact        Category = "fact"
	CategoryObservation Category = "observation"
	CategoryAction      Category = "action"
	CategoryPlan        Category = "plan"
	CategoryEpisode     Category = "episode"
)

// Categories lists every valid category, in a fixed order.
var Categories = []Category{CategoryFact, CategoryObservation, CategoryAction, CategoryPlan, CategoryEpisode}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Memory is one thing an agent has stored. ID is a UUIDv7, so IDs sort by
// creation time. Timestamps are UTC with microsecond precision (what both
// stores keep).
type Memory struct {
	ID             string          `json:"id"`
	Namespace      string          `json:"namespace"`
	Content        string          `json:"content"`
	Category       Category        `json:"category"`
	Importance     float64         `json:"importance"`
	Tags           []string        `json:"tags"`
	Metadata       json.RawMessage `json:"metadata"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	LastAccessedAt *time.Time      `json:"last_accessed_at"`
	AccessCount    int64           `json:"access_count"`
	Supersedes     string          `json:"supersedes,omitempty"`
	SupersededBy   string          `json:"superseded_by,omitempty"`

	// ContentHash is the hex SHA-256 of Content; identical content in one
	// namespace is stored once.
	ContentHash string `json:"-"`

	// Embedding is the memory's vector with the model and dimension that
	// made it. It is not part of the JSON form.
	Embedding Embedding `json:"-"`
	// EmbeddingModel and EmbeddingDim describe Embedding for clients.
	EmbeddingModel string `json:"embedding_model,omitempty"`
	EmbeddingDim   int    `json:"embedding_dim,omitempty"`
}

// Embedding is a vector and what made it. A zero Embedding means "none yet".
type Embedding struct {
	Vector []float32
	Model  string
	Dim    int
}

// MemoryUpdate is a partial update; nil fields are left as they are.
// Changing Content re-embeds the memory and changes its ContentHash.
type MemoryUpdate struct {
	Content    *string
	Category   *Category
	Importance *float64
	Tags       *[]string
	Metadata   *json.RawMessage
	Embedding  *Embedding // set by the service when Content changes
	UpdatedAt  time.Time  // set by the service
}

// Filter narrows lists and searches. The zero Filter matches every memory of
// the namespace that has not been superseded.
type Filter struct {
	Namespace         string     // "" means DefaultNamespace
	Categories        []Category // any of; empty means all
	Tags              []string   // all of; empty means any
	Since             time.Time  // created_at >= Since, when not zero
	Until             time.Time  // created_at < Until, when not zero
	IncludeSuperseded bool
}

// ListQuery asks for one page of memories, newest first.
type ListQuery struct {
	Filter
	Limit  int    // 1..MaxListLimit; 0 means DefaultListLimit
	Cursor string // opaque; "" starts at the newest
}

// Paging bounds for lists and searches.
const (
	DefaultListLimit   = 20
	MaxListLimit       = 200
	DefaultSearchLimit = 10
	MaxSearchLimit     = 100
	MaxQueryBytes      = 4096
)

// ListPage is one page of a list and the cursor of the next ("" at the end).
// Degraded is true when the database could not be reached and the page
// holds only the memories in the service's read cache.
type ListPage struct {
	Memories   []*Memory `json:"memories"`
	NextCursor string    `json:"next_cursor,omitempty"`
	Degraded   bool      `json:"degraded,omitempty"`
}

// TextHit is one full-text match: the memory's ID and the engine's rank,
// larger is better, not normalised across queries.
type TextHit struct {
	ID   string
	Rank float64
}

// Change is one entry of the store's change log, which every process sharing
// a store reads to keep its in-process vector index in step. Seq increases
// strictly. For OpUpsert the memory's current state is in Memory (nil if it
// was deleted since); for OpDelete only ID and Namespace are set.
type Change struct {
	Seq       int64
	Op        string // OpUpsert or OpDelete
	ID        string
	Namespace string
	Memory    *Memory
}

// Change operations.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)
