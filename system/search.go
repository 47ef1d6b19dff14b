package mimo

// SearchQuery asks for memories by meaning, words, recency and importance.
type SearchQuery struct {
	Filter
	Query  string // plain user text, 1..MaxQueryBytes bytes
	Limit  int    // 1..MaxSearchLimit; 0 means DefaultSearchLimit
	Cursor string // opaque; "" is the first page
}

// Scores are the components of a search result's score, each in [0, 1], and
// their weighted sum. The weights are in package memory (SearchWeights).
type Scores struct {
	Vector     float64 `json:"vector"`
	Text       float64 `json:"text"`
	Recency    float64 `json:"recency"`
	Importance float64 `json:"importance"`
	Total      float64 `json:"total"`
}

// SearchResult is one memory found and why.
type SearchResult struct {
	Memory *Memory `json:"memory"`
	Score  Scores  `json:"score"`
}

// SearchPage is one page of search results, best first. Mode says how the
// results were found: "hybrid", or a fallback ("lexical", "recent") when a
// part of the pipeline was not available. Degraded is true when a
// dependency's failure made the results worse than they would be, and
// Reason then says which (DegradedEmbedder: ranked by words only;
// ReasonDBUnavailable: only the memories in the read cache were searched);
// a vector index still loading is not a failure and leaves Degraded false.
type SearchPage struct {
	Results    []SearchResult `json:"results"`
	NextCursor string         `json:"next_cursor,omitempty"`
	Mode       string         `json:"mode"`
	Degraded   bool           `json:"degraded,omitempty"`
	Reason     string         `json:"reason,omitempty"`
}

// Reasons of a degraded SearchPage.
const (
	// DegradedEmbedder: the embedder failed or its circuit is open, so
	// the query has no vector and results are ranked by text only.
	DegradedEmbedder = "embedder_unavailable"
)
