package mimo

import "context"

// Asking: a question answered from memory. See Service.Ask.

// AskRequest is a question. Limit bounds the sources used, 1 to
// MaxAskSources; 0 means DefaultAskSources.
type AskRequest struct {
	Namespace string `json:"namespace,omitempty"`
	Query     string `json:"query"`
	Limit     int    `json:"limit,omitempty"`
}

// Source limits of an answer.
const (
	DefaultAskSources = 5
	MaxAskSources     = 20
)

// The stores a question can be routed to.
const (
	RouteMemories = "memories" // hybrid search over memories
	RouteGraph    = "graph"    // the knowledge graph's entities
	RouteRecent   = "recent"   // the newest memories
)

// Answer is what Ask returns. Sources are what the answer was made from,
// best first: memories by id, graph entities by name. Degraded is true
// when the answer is not the language model's (no model configured, or it
// failed), and Reason then says why.
type Answer struct {
	Answer    string   `json:"answer"`
	Sources   []Source `json:"sources"`
	Route     Route    `json:"route"`
	Degraded  bool     `json:"degraded"`
	Reason    string   `json:"reason,omitempty"`
	LatencyMS float64  `json:"latency_ms"`
}

// Source is one memory (Kind "memory", ID its id) or graph entity (Kind
// "entity", ID its name) an answer used, with its score in [0, 1].
type Source struct {
	Kind  string  `json:"kind"`
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// Route is where the router sent a question: the stores, its confidence
// in [0, 1], and whether the decision came from the classifier cache.
type Route struct {
	Stores     []string `json:"stores"`
	Confidence float64  `json:"confidence"`
	Cached     bool     `json:"cached"`
}

// CacheStats describe the router's classifier cache, in /health and
// memory_stats.
type CacheStats struct {
	Entries    int     `json:"entries"`
	Hits       uint64  `json:"hits"`
	Misses     uint64  `json:"misses"`
	HitRate    float64 `json:"hit_rate"`
	TTLSeconds float64 `json:"ttl_seconds"`
	MaxEntries int     `json:"max_entries"`
}

// LLM synthesises an answer: Complete returns the model's reply to prompt
// under the system instructions. Implementations bound every call with a
// timeout and return an error for any failure, including an empty reply.
type LLM interface {
	Complete(ctx context.Context, system, prompt string) (string, error)
	Model() string
}
