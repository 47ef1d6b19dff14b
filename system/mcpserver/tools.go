package mcpserver

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/system"
)

func ptr[T any](v T) *T { return &v }

// Annotations: every tool works on Mimo's own store only (closed world).
var (
	readOnly = &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}
	// Storing identical content again returns the existing memory.
	additive = &mcp.ToolAnnotations{DestructiveHint: ptr(false), IdempotentHint: true, OpenWorldHint: ptr(false)}
	// Update replaces fields and delete removes; doing either twice has
	// no further effect.
	destructive = &mcp.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(false)}
)

func (s *Server) addTools() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "memory_store",
		Title:       "Store a memory",
		Description: "Remember one piece of text. Identical content in the same namespace is stored once (status \"existing\"); a near-duplicate is stored and reported in duplicate_of.",
		Annotations: additive,
	}, s.store)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "memory_search",
		Title:       "Search memories",
		Description: "Find memories by meaning, words, recency and importance (hybrid search). Each result carries its score components.",
		Annotations: readOnly,
	}, s.search)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "memory_get",
		Title:       "Get a memory",
		Description: "Read one memory by id. Counts as an access (access_count, last_accessed_at).",
		Annotations: readOnly,
	}, s.get)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "memory_list",
		Title:       "List memories",
		Description: "List memories newest first, with filters and cursor paging.",
		Annotations: readOnly,
	}, s.list)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "memory_update",
		Title:       "Update a memory",
		Description: "Change the given fields of one memory; fields left out stay as they are. New content is embedded again.",
		Annotations: destructive,
	}, s.update)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "memory_delete",
		Title:       "Delete a memory",
		Description: "Delete one memory from the database, the text index and the vector index.",
		Annotations: destructive,
	}, s.delete)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:  "memory_ask",
		Title: "Ask a question",
		Description: "Answer a question from memory: Mimo routes it (memories, knowledge graph, recent), retrieves, and answers " +
			"citing its sources as [n]. Without a language model, or when it fails, the answer quotes the best memories and says it is degraded.",
		Annotations: readOnly,
	}, s.ask)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "memory_stats",
		Title:       "Memory statistics",
		Description: "How many memories the namespace holds, and the state of Mimo and each of its dependencies.",
		Annotations: readOnly,
	}, s.stats)
}

func (s *Server) store(ctx context.Context, _ *mcp.CallToolRequest, a storeArgs) (*mcp.CallToolResult, storeOut, error) {
	md, err := rawMetadata(a.Metadata)
	if err != nil {
		return nil, storeOut{}, s.fail("memory_store", err)
	}
	res, err := s.svc.Store(ctx, mimo.StoreRequest{
		Namespace: a.Namespace, Content: a.Content, Category: mimo.Category(a.Category),
		Importance: a.Importance, Tags: a.Tags, Metadata: md, Supersedes: a.Supersedes,
	})
	if err != nil {
		return nil, storeOut{}, s.fail("memory_store", err)
	}
	status := "existing"
	switch {
	case res.Queued:
		status = "queued"
	case res.Created:
		status = "created"
	}
	return nil, storeOut{Status: status, Queued: res.Queued, Memory: toMemoryOut(res.Memory), DuplicateOf: res.DuplicateOf}, nil
}

func (s *Server) search(ctx context.Context, _ *mcp.CallToolRequest, a searchArgs) (*mcp.CallToolResult, searchOut, error) {
	f, err := a.filter()
	if err != nil {
		return nil, searchOut{}, s.fail("memory_search", err)
	}
	page, err := s.svc.Search(ctx, mimo.SearchQuery{Filter: f, Query: a.Query, Limit: a.Limit, Cursor: a.Cursor})
	if err != nil {
		return nil, searchOut{}, s.fail("memory_search", err)
	}
	out := searchOut{Results: make([]resultOut, len(page.Results)), NextCursor: page.NextCursor, Mode: page.Mode,
		Degraded: page.Degraded, Reason: page.Reason}
	for i, r := range page.Results {
		out.Results[i] = resultOut{Memory: toMemoryOut(r.Memory), Score: r.Score}
	}
	return nil, out, nil
}

func (s *Server) get(ctx context.Context, _ *mcp.CallToolRequest, a idArgs) (*mcp.CallToolResult, memoryOut, error) {
	m, err := s.svc.Get(ctx, a.Namespace, a.ID)
	if err != nil {
		return nil, memoryOut{}, s.fail("memory_get", err)
	}
	return nil, toMemoryOut(m), nil
}

func (s *Server) list(ctx context.Context, _ *mcp.CallToolRequest, a listArgs) (*mcp.CallToolResult, listOut, error) {
	f, err := a.filter()
	if err != nil {
		return nil, listOut{}, s.fail("memory_list", err)
	}
	page, err := s.svc.List(ctx, mimo.ListQuery{Filter: f, Limit: a.Limit, Cursor: a.Cursor})
	if err != nil {
		return nil, listOut{}, s.fail("memory_list", err)
	}
	out := listOut{Memories: make([]memoryOut, len(page.Memories)), NextCursor: page.NextCursor}
	for i, m := range page.Memories {
		out.Memories[i] = toMemoryOut(m)
	}
	return nil, out, nil
}

func (s *Server) update(ctx context.Context, _ *mcp.CallToolRequest, a updateArgs) (*mcp.CallToolResult, memoryOut, error) {
	u := mimo.UpdateRequest{Content: a.Content, Importance: a.Importance}
	if a.Category != nil {
		u.Category = ptr(mimo.Category(*a.Category))
	}
	if a.Tags != nil {
		u.Tags = &a.Tags
	}
	if a.Metadata != nil {
		md, err := rawMetadata(a.Metadata)
		if err != nil {
			return nil, memoryOut{}, s.fail("memory_update", err)
		}
		u.Metadata = &md
	}
	m, err := s.svc.Update(ctx, a.Namespace, a.ID, u)
	if err != nil {
		return nil, memoryOut{}, s.fail("memory_update", err)
	}
	return nil, toMemoryOut(m), nil
}

func (s *Server) delete(ctx context.Context, _ *mcp.CallToolRequest, a idArgs) (*mcp.CallToolResult, deleteOut, error) {
	ctx, o := mimo.WithOutcome(ctx)
	if err := s.svc.Delete(ctx, a.Namespace, a.ID); err != nil {
		return nil, deleteOut{}, s.fail("memory_delete", err)
	}
	return nil, deleteOut{ID: a.ID, Deleted: true, Queued: o.Queued()}, nil
}

func (s *Server) ask(ctx context.Context, _ *mcp.CallToolRequest, a askArgs) (*mcp.CallToolResult, mimo.Answer, error) {
	ans, err := s.svc.Ask(ctx, mimo.AskRequest{Namespace: a.Namespace, Query: a.Query, Limit: a.Limit})
	if err != nil {
		return nil, mimo.Answer{}, s.fail("memory_ask", err)
	}
	if ans.Sources == nil {
		ans.Sources = []mimo.Source{}
	}
	if ans.Route.Stores == nil {
		ans.Route.Stores = []string{}
	}
	return nil, *ans, nil
}

func (s *Server) stats(ctx context.Context, _ *mcp.CallToolRequest, a statsArgs) (*mcp.CallToolResult, mimo.Stats, error) {
	st, err := s.svc.Stats(ctx, a.Namespace)
	if err != nil {
		return nil, mimo.Stats{}, s.fail("memory_stats", err)
	}
	return nil, *st, nil
}
