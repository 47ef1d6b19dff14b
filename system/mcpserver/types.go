package mcpserver

import (
	"encoding/json"
	"time"

	"mimo/system"
)

// The tools' input and output types. The Go structs are the tools' JSON
// schemas (the SDK infers them); the jsonschema tags are the descriptions
// clients show. Unknown argument names are refused by the schema.

// filterArgs are the filters memory_search and memory_list share.
type filterArgs struct {
	Namespace         string   `json:"namespace,omitempty" jsonschema:"the namespace to look in; default \"default\""`
	Categories        []string `json:"categories,omitempty" jsonschema:"only these categories (fact, observation, action, plan, episode); empty means all"`
	Tags              []string `json:"tags,omitempty" jsonschema:"only memories carrying every one of these tags"`
	Since             string   `json:"since,omitempty" jsonschema:"only memories created at or after this RFC 3339 time"`
	Until             string   `json:"until,omitempty" jsonschema:"only memories created before this RFC 3339 time"`
	IncludeSuperseded bool     `json:"include_superseded,omitempty" jsonschema:"also return memories another memory has superseded"`
}

// filter converts the arguments; a malformed time is EINVALID.
func (a filterArgs) filter() (mimo.Filter, error) {
	f := mimo.Filter{Namespace: a.Namespace, Tags: a.Tags, IncludeSuperseded: a.IncludeSuperseded}
	for _, c := range a.Categories {
		f.Categories = append(f.Categories, mimo.Category(c))
	}
	var err error
	if f.Since, err = mimo.ParseTime("since", a.Since); err != nil {
		return f, err
	}
	f.Until, err = mimo.ParseTime("until", a.Until)
	return f, err
}

type storeArgs struct {
	Content    string         `json:"content" jsonschema:"what to remember: UTF-8 text, at most 64 KiB"`
	Namespace  string         `json:"namespace,omitempty" jsonschema:"the namespace to store in; default \"default\""`
	Category   string         `json:"category,omitempty" jsonschema:"fact, observation, action, plan or episode; default fact"`
	Importance *float64       `json:"importance,omitempty" jsonschema:"0 to 1; default 0.5"`
	Tags       []string       `json:"tags,omitempty" jsonschema:"labels to filter by later"`
	Metadata   map[string]any `json:"metadata,omitempty" jsonschema:"any JSON object kept with the memory"`
	Supersedes string         `json:"supersedes,omitempty" jsonschema:"id of a memory this one replaces; the old one leaves default results but stays readable"`
}

type storeOut struct {
	Status      string    `json:"status" jsonschema:"created, existing (identical content was already stored) or queued (the database is down; the write is spooled and will be applied)"`
	Queued      bool      `json:"queued,omitempty" jsonschema:"true when the database is down and the write waits in the spool; the memory's id is final and it is readable at once"`
	Memory      memoryOut `json:"memory"`
	DuplicateOf string    `json:"duplicate_of,omitempty" jsonschema:"id of a near-duplicate already stored (cosine at least 0.95, same category)"`
}

type searchArgs struct {
	Query string `json:"query" jsonschema:"what to look for, in plain words"`
	filterArgs
	Limit  int    `json:"limit,omitempty" jsonschema:"results per page, 1 to 100; default 10"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type searchOut struct {
	Results    []resultOut `json:"results" jsonschema:"best first"`
	NextCursor string      `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page; absent on the last"`
	Mode       string      `json:"mode" jsonschema:"hybrid, or the fallback used: lexical (words only) or recent"`
	Degraded   bool        `json:"degraded,omitempty" jsonschema:"true when a failing dependency made the results worse; reason says which"`
	Reason     string      `json:"reason,omitempty" jsonschema:"why the results are degraded, e.g. embedder_unavailable (ranked by words only)"`
}

type resultOut struct {
	Memory memoryOut   `json:"memory"`
	Score  mimo.Scores `json:"score" jsonschema:"the score's components, each 0 to 1, and their weighted total"`
}

type listArgs struct {
	filterArgs
	Limit  int    `json:"limit,omitempty" jsonschema:"memories per page, 1 to 200; default 20"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type listOut struct {
	Memories   []memoryOut `json:"memories" jsonschema:"newest first"`
	NextCursor string      `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page; absent on the last"`
}

type idArgs struct {
	ID        string `json:"id" jsonschema:"the memory's id"`
	Namespace string `json:"namespace,omitempty" jsonschema:"the memory's namespace; default \"default\""`
}

type updateArgs struct {
	ID         string         `json:"id" jsonschema:"the memory's id"`
	Namespace  string         `json:"namespace,omitempty" jsonschema:"the memory's namespace; default \"default\""`
	Content    *string        `json:"content,omitempty" jsonschema:"new text; the memory is embedded again"`
	Category   *string        `json:"category,omitempty" jsonschema:"new category"`
	Importance *float64       `json:"importance,omitempty" jsonschema:"new importance, 0 to 1"`
	Tags       []string       `json:"tags,omitempty" jsonschema:"new tags, replacing the old ones"`
	Metadata   map[string]any `json:"metadata,omitempty" jsonschema:"new metadata, replacing the old"`
}

type deleteOut struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted" jsonschema:"true: the memory is gone from the database and both indexes"`
	Queued  bool   `json:"queued,omitempty" jsonschema:"true when the database is down: the delete waits in the spool, and reads no longer find the memory"`
}

type askArgs struct {
	Query     string `json:"query" jsonschema:"the question, in plain words"`
	Namespace string `json:"namespace,omitempty" jsonschema:"the namespace to answer from; default \"default\""`
	Limit     int    `json:"limit,omitempty" jsonschema:"sources to use, 1 to 20; default 5"`
}

type statsArgs struct {
	Namespace string `json:"namespace,omitempty" jsonschema:"the namespace to report; default \"default\""`
}

// memoryOut is a memory as the tools return it: mimo.Memory's JSON form,
// with metadata as an object so that it has a schema.
type memoryOut struct {
	ID             string         `json:"id"`
	Namespace      string         `json:"namespace"`
	Content        string         `json:"content"`
	Category       string         `json:"category"`
	Importance     float64        `json:"importance"`
	Tags           []string       `json:"tags"`
	Metadata       map[string]any `json:"metadata"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	LastAccessedAt *time.Time     `json:"last_accessed_at,omitempty"`
	AccessCount    int64          `json:"access_count"`
	Supersedes     string         `json:"supersedes,omitempty"`
	SupersededBy   string         `json:"superseded_by,omitempty"`
	EmbeddingModel string         `json:"embedding_model,omitempty"`
	EmbeddingDim   int            `json:"embedding_dim,omitempty"`
}

func toMemoryOut(m *mimo.Memory) memoryOut {
	out := memoryOut{
		ID: m.ID, Namespace: m.Namespace, Content: m.Content, Category: string(m.Category),
		Importance: m.Importance, Tags: m.Tags, Metadata: map[string]any{},
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, LastAccessedAt: m.LastAccessedAt,
		AccessCount: m.AccessCount, Supersedes: m.Supersedes, SupersededBy: m.SupersededBy,
		EmbeddingModel: m.EmbeddingModel, EmbeddingDim: m.EmbeddingDim,
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	// The service keeps metadata a JSON object; anything else is shown
	// as no metadata rather than failing the call.
	if len(m.Metadata) > 0 {
		_ = json.Unmarshal(m.Metadata, &out.Metadata)
	}
	return out
}

// rawMetadata encodes tool metadata for the service; nil stays nil (the
// service's default, {}).
func rawMetadata(md map[string]any) (json.RawMessage, error) {
	if md == nil {
		return nil, nil
	}
	b, err := json.Marshal(md)
	if err != nil {
		return nil, mimo.Errorf(mimo.EINVALID, "metadata: %v", err)
	}
	return b, nil
}
