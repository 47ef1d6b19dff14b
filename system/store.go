package mimo

import (
	"context"
	"time"
)

// Store keeps memories durably. SQLite (package sqlite) and Postgres
// (package postgres) implement it, and both pass the same contract suite
// (package storetest). Every method is safe for concurrent use, and several
// processes may share one store: every mutation is recorded in the change
// log, in the same transaction, so other processes can follow it.
//
// Methods return *Error: ENOTFOUND for a missing memory (a memory of another
// namespace is missing too), EINVALID for bad arguments, EUNAVAILABLE when
// the database cannot be reached, EINTERNAL otherwise.
type Store interface {
	// CreateMemory stores m, whose ID, Namespace, ContentHash, timestamps and
	// Embedding the caller has set. If the namespace already holds a memory
	// with the same ContentHash, nothing is written and that memory is
	// returned with created false. If m.Supersedes is set, the memory it
	// names (same namespace, else ENOTFOUND) gets SupersededBy = m.ID.
	CreateMemory(ctx context.Context, m *Memory) (stored *Memory, created bool, err error)

	// CreateMemories stores a batch in one transaction, with CreateMemory's
	// rules for each; results are in input order. Duplicates within the
	// batch resolve to the first.
	CreateMemories(ctx context.Context, ms []*Memory) ([]CreateResult, error)

	// GetMemory returns one memory with its embedding.
	GetMemory(ctx context.Context, namespace, id string) (*Memory, error)

	// GetMemories returns the memories of namespace with the given IDs, in
	// no particular order; missing IDs are left out, not an error.
	GetMemories(ctx context.Context, namespace string, ids []string) ([]*Memory, error)

	// GetMemoriesNoVector is GetMemories without embedding vectors: each
	// memory keeps its embedding's model and dimension, but the vector is
	// neither read nor decoded. It is for readers that drop the vector
	// anyway, such as search's final read.
	GetMemoriesNoVector(ctx context.Context, namespace string, ids []string) ([]*Memory, error)

	// TouchMemories adds one to the access count of each memory and sets its
	// last access time to at.
	TouchMemories(ctx context.Context, namespace string, ids []string, at time.Time) error

	// UpdateMemory applies u and returns the result. Changing content to that
	// of another memory of the namespace is ECONFLICT.
	UpdateMemory(ctx context.Context, namespace, id string, u MemoryUpdate) (*Memory, error)

	// DeleteMemory removes the memory and its full-text entry. A memory it
	// superseded is no longer superseded.
	DeleteMemory(ctx context.Context, namespace, id string) error

	// ListMemories returns one page, newest first. Memories in a list carry
	// no embedding vector.
	ListMemories(ctx context.Context, q ListQuery) (*ListPage, error)

	// TextSearch runs query against the full-text index within f, best
	// first, at most limit hits. query is plain user text: the store turns
	// it into words and never passes it to the engine as query syntax.
	TextSearch(ctx context.Context, query string, f Filter, limit int) ([]TextHit, error)

	// RecentMemories returns up to limit memories matching f, newest first,
	// without embeddings.
	RecentMemories(ctx context.Context, f Filter, limit int) ([]*Memory, error)

	// CountMemories counts the memories of namespace, or of all namespaces
	// when namespace is "*".
	CountMemories(ctx context.Context, namespace string) (int64, error)

	// Changes returns up to limit change-log entries with Seq > after, in
	// order, each upsert with the memory's current state and embedding.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)

	// LastChange returns the highest Seq of the change log (0 when empty).
	LastChange(ctx context.Context) (int64, error)

	// PendingEmbeddings returns up to q.Limit memories of every namespace
	// whose embedding is not a vector of q.Model with q.Dim values (none,
	// or another model's or dimension's; with q.MissingOnly, none only),
	// in ID order after q.After. They carry content and ContentHash but no
	// vector. The work list is the store itself, so re-embedding resumes
	// wherever it stopped.
	PendingEmbeddings(ctx context.Context, q EmbeddingQuery) ([]*Memory, error)

	// SetEmbeddings gives each memory its new embedding, in one
	// transaction, and logs an upsert for each one set, so every
	// process's vector index picks the vectors up. UpdatedAt is left
	// alone (what the memory says has not changed). A memory that is gone
	// or whose ContentHash differs is skipped. It returns how many were
	// set. A vector whose length is not its Dim is EINVALID.
	SetEmbeddings(ctx context.Context, us []EmbeddingUpdate) (int, error)

	// EmbeddingModels counts the memories of every namespace whose vector
	// is not of model and dimension dim (memories with no vector included,
	// as Model "" and Dim 0), by model and dimension, most first. It reads
	// only those memories' entries of an index of the two columns, so it
	// costs next to nothing when every vector is of the given model, as at
	// every start-up but the first after a change of embedder; counting
	// the given model's memories too took 0.4-0.7 s at a million on
	// Postgres, before the server listened. Pass "" and 0 to count the
	// memories of every model that has vectors, and leave out those
	// without.
	EmbeddingModels(ctx context.Context, model string, dim int) ([]EmbeddingCount, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Close releases the store's connections.
	Close() error
}

// CreateResult is the outcome of one item of CreateMemories.
type CreateResult struct {
	Memory  *Memory
	Created bool
	Err     error
}

// Embedder turns text into vectors. Implementations: the built-in hashed
// embedder (package embed) and, later, Ollama and OpenAI-compatible services.
type Embedder interface {
	// Embed returns one L2-normalised vector of Dim() floats per text.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Model names the model, stored with every vector it makes.
	Model() string
	// Dim is the vector length.
	Dim() int
}

// VectorHit is one nearest neighbour: a memory ID and its cosine similarity
// with the query, in [-1, 1].
type VectorHit struct {
	ID    string
	Score float64
}
