package mimo

// Re-embedding: finding the memories whose vector is not the configured
// embedder's, and giving them one. See Store.PendingEmbeddings,
// Store.SetEmbeddings and Store.EmbeddingModels.

// EmbeddingQuery asks for memories whose embedding is not a vector of
// Model with Dim values, in ID order across every namespace.
type EmbeddingQuery struct {
	Model string
	Dim   int
	// MissingOnly narrows the query to memories stored with a zero
	// Embedding (no vector, model or dimension: stored while the embedder
	// was failing), which stores find from an index alone; otherwise
	// memories with another model's or dimension's vector, or none, are
	// found too.
	MissingOnly bool
	// After is the ID after which the page starts; "" starts at the first.
	After string
	// Limit is the most memories returned, 1 to MaxEmbeddingLimit; 0
	// means DefaultEmbeddingLimit.
	Limit int
}

// Page bounds of PendingEmbeddings.
const (
	DefaultEmbeddingLimit = 64
	MaxEmbeddingLimit     = 1000
)

// EmbeddingUpdate gives one memory a new embedding. ContentHash is the
// hash of the content the vector was made from: a memory whose content
// has changed since is left alone.
type EmbeddingUpdate struct {
	Namespace   string
	ID          string
	ContentHash string
	Embedding   Embedding
}

// EmbeddingCount is how many memories hold vectors of one model and
// dimension. Model "" and Dim 0 count the memories with no vector.
type EmbeddingCount struct {
	Model    string `json:"model"`
	Dim      int    `json:"dim"`
	Memories int64  `json:"memories"`
}
