package mcpserver_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system/mcpserver"
	"mimo/system/memory/memorytest"
	"mimo/system/metrics"
)

// fixture is a real service on a temp SQLite file behind the MCP server,
// and an SDK client session connected to it in memory.
type fixture struct {
	session *mcp.ClientSession
	metrics *metrics.Metrics
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv, met := newServerWithMetrics(t, mcpserver.Options{})
	st1, st2 := mcp.NewInMemoryTransports()
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, st1) }()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), st2, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cs.Close()
		cancel()
		<-done
	})
	return &fixture{session: cs, metrics: met}
}

// newServer is an MCP server over a real service on a temp SQLite file.
func newServer(t *testing.T) *mcpserver.Server {
	return newServerWith(t, mcpserver.Options{})
}

// newServerWith is newServer with opts, whose Service and Metrics it sets.
func newServerWith(t *testing.T, opts mcpserver.Options) *mcpserver.Server {
	srv, _ := newServerWithMetrics(t, opts)
	return srv
}

func newServerWithMetrics(t *testing.T, opts mcpserver.Options) (*mcpserver.Server, *metrics.Metrics) {
	t.Helper()
	mf := memorytest.New(t, memorytest.Options{NoLLM: true})
	opts.Service, opts.Metrics, opts.Version = mf.Service, mf.Metrics, "test"
	return mcpserver.New(opts), mf.Metrics
}

// call calls tool and decodes its structured output into out (when not
// nil), failing the test on a protocol error or a tool error.
func (f *fixture) call(t *testing.T, tool string, args map[string]any, out any) {
	t.Helper()
	res := f.raw(t, tool, args)
	require.False(t, res.IsError, "%s(%v) failed: %s", tool, args, text(res))
	if out != nil {
		b, err := json.Marshal(res.StructuredContent)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, out))
	}
}

// toolError calls tool expecting a tool error and returns its text.
func (f *fixture) toolError(t *testing.T, tool string, args map[string]any) string {
	t.Helper()
	res := f.raw(t, tool, args)
	require.True(t, res.IsError, "%s(%v) should fail, answered %v", tool, args, res.StructuredContent)
	return text(res)
}

func (f *fixture) raw(t *testing.T, tool string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := f.session.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	require.NoError(t, err, "%s: a tool's failure is a tool error, never a protocol error", tool)
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

type memoryView struct {
	ID          string         `json:"id"`
	Namespace   string         `json:"namespace"`
	Content     string         `json:"content"`
	Category    string         `json:"category"`
	Importance  float64        `json:"importance"`
	Tags        []string       `json:"tags"`
	Metadata    map[string]any `json:"metadata"`
	AccessCount int64          `json:"access_count"`
}

func TestToolsAreListedWithSchemasAndAnnotations(t *testing.T) {
	f := newFixture(t)
	res, err := f.session.ListTools(context.Background(), nil)
	require.NoError(t, err)
	byName := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		byName[tool.Name] = tool
	}
	want := map[string]string{ // tool → kind of annotation
		"memory_store": "additive", "memory_search": "read", "memory_get": "read", "memory_list": "read",
		"memory_update": "destructive", "memory_delete": "destructive", "memory_stats": "read", "memory_ask": "read",
		"create_entities": "additive", "create_relations": "additive", "add_observations": "additive",
		"delete_entities": "destructive", "delete_observations": "destructive", "delete_relations": "destructive",
		"read_graph": "read", "search_nodes": "read", "open_nodes": "read",
	}
	require.Len(t, byName, len(want))
	for name, kind := range want {
		tool := byName[name]
		require.NotNil(t, tool, name)
		assert.NotEmpty(t, tool.Description, name)
		assert.NotNil(t, tool.InputSchema, "%s has an input schema", name)
		assert.NotNil(t, tool.OutputSchema, "%s has an output schema", name)
		a := tool.Annotations
		require.NotNil(t, a, name)
		assert.Equal(t, kind == "read", a.ReadOnlyHint, "%s read-only", name)
		if kind != "read" {
			require.NotNil(t, a.DestructiveHint, name)
			assert.Equal(t, kind == "destructive", *a.DestructiveHint, "%s destructive", name)
		}
		assert.True(t, a.IdempotentHint, "%s idempotent", name)
	}
	schema, err := json.Marshal(byName["memory_store"].InputSchema)
	require.NoError(t, err)
	assert.Contains(t, string(schema), `"required":["content"]`, "content is the one required argument")
	assert.Contains(t, string(schema), "at most 64 KiB", "arguments carry descriptions")
}

func TestStoreSearchGetListUpdateDelete(t *testing.T) {
	f := newFixture(t)
	var stored struct {
		Status string     `json:"status"`
		Memory memoryView `json:"memory"`
	}
	f.call(t, "memory_store", map[string]any{
		"content": "The billing service deploys every night at two", "category": "plan",
		"importance": 0.9, "tags": []string{"billing"}, "metadata": map[string]any{"source": "runbook"},
	}, &stored)
	assert.Equal(t, "created", stored.Status)
	id := stored.Memory.ID
	require.NotEmpty(t, id)
	assert.Equal(t, "default", stored.Memory.Namespace)
	assert.Equal(t, "plan", stored.Memory.Category)
	assert.Equal(t, map[string]any{"source": "runbook"}, stored.Memory.Metadata)

	var again struct {
		Status string     `json:"status"`
		Memory memoryView `json:"memory"`
	}
	f.call(t, "memory_store", map[string]any{"content": "The billing service deploys every night at two"}, &again)
	assert.Equal(t, "existing", again.Status)
	assert.Equal(t, id, again.Memory.ID)

	var found struct {
		Results []struct {
			Memory memoryView         `json:"memory"`
			Score  map[string]float64 `json:"score"`
		} `json:"results"`
		Mode string `json:"mode"`
	}
	f.call(t, "memory_search", map[string]any{"query": "when does billing deploy", "tags": []string{"billing"}}, &found)
	require.NotEmpty(t, found.Results)
	assert.Equal(t, id, found.Results[0].Memory.ID)
	assert.Equal(t, "hybrid", found.Mode)
	assert.Contains(t, found.Results[0].Score, "total")

	var got memoryView
	f.call(t, "memory_get", map[string]any{"id": id}, &got)
	assert.Equal(t, stored.Memory.Content, got.Content)
	assert.Equal(t, int64(1), got.AccessCount, "a get counts as an access")

	var listed struct {
		Memories []memoryView `json:"memories"`
	}
	f.call(t, "memory_list", map[string]any{"categories": []string{"plan"}}, &listed)
	require.Len(t, listed.Memories, 1)

	var updated memoryView
	f.call(t, "memory_update", map[string]any{"id": id, "importance": 0.2, "tags": []string{}}, &updated)
	assert.Equal(t, 0.2, updated.Importance)
	assert.Empty(t, updated.Tags, "an empty tags list clears them")
	assert.Equal(t, stored.Memory.Content, updated.Content, "fields left out stay")

	var deleted struct {
		Deleted bool `json:"deleted"`
	}
	f.call(t, "memory_delete", map[string]any{"id": id}, &deleted)
	assert.True(t, deleted.Deleted)
	assert.True(t, strings.HasPrefix(f.toolError(t, "memory_get", map[string]any{"id": id}), "not_found: "))
	f.call(t, "memory_search", map[string]any{"query": "when does billing deploy"}, &found)
	assert.Empty(t, found.Results, "a deleted memory is not found")

	var stats struct {
		Namespace string `json:"namespace"`
		Memories  int64  `json:"memories"`
		Status    string `json:"status"`
	}
	f.call(t, "memory_stats", nil, &stats)
	assert.Equal(t, "default", stats.Namespace)
	assert.Equal(t, int64(0), stats.Memories)
	assert.Equal(t, "ok", stats.Status)
}

func TestNamespacesNeverLeakThroughTools(t *testing.T) {
	f := newFixture(t)
	var stored struct {
		Memory memoryView `json:"memory"`
	}
	f.call(t, "memory_store", map[string]any{"namespace": "alice", "content": "Alice's locker code is 4471"}, &stored)
	id := stored.Memory.ID

	var found struct {
		Results []any `json:"results"`
	}
	f.call(t, "memory_search", map[string]any{"namespace": "bob", "query": "locker code"}, &found)
	assert.Empty(t, found.Results)
	var listed struct {
		Memories []any `json:"memories"`
	}
	f.call(t, "memory_list", map[string]any{"namespace": "bob"}, &listed)
	assert.Empty(t, listed.Memories)
	for _, tool := range []string{"memory_get", "memory_delete"} {
		msg := f.toolError(t, tool, map[string]any{"namespace": "bob", "id": id})
		assert.True(t, strings.HasPrefix(msg, "not_found: "), "%s from another namespace: %s", tool, msg)
	}
	assert.True(t, strings.HasPrefix(f.toolError(t, "memory_update", map[string]any{"namespace": "bob", "id": id, "importance": 0.1}), "not_found: "))
	var stats struct {
		Memories int64 `json:"memories"`
	}
	f.call(t, "memory_stats", map[string]any{"namespace": "bob"}, &stats)
	assert.Equal(t, int64(0), stats.Memories, "stats count only the namespace asked for")

	var got memoryView
	f.call(t, "memory_get", map[string]any{"namespace": "alice", "id": id}, &got)
	assert.Equal(t, "Alice's locker code is 4471", got.Content, "still there for its owner")
}

func TestBadInputIsAToolErrorAndStoresNothing(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, tool string
		args       map[string]any
		want       string // a part of the error text
	}{
		{"missing content", "memory_store", map[string]any{}, "content"},
		{"empty content", "memory_store", map[string]any{"content": ""}, "invalid: "},
		{"content of the wrong type", "memory_store", map[string]any{"content": 42}, "content"},
		{"unknown argument", "memory_store", map[string]any{"content": "x", "colour": "red"}, "colour"},
		{"importance out of range", "memory_store", map[string]any{"content": "x", "importance": 2}, "invalid: "},
		{"unknown category", "memory_store", map[string]any{"content": "x", "category": "gossip"}, "invalid: "},
		{"oversized content", "memory_store", map[string]any{"content": strings.Repeat("a", 64<<10+1)}, "too_large: content"},
		{"bad namespace", "memory_store", map[string]any{"content": "x", "namespace": "no spaces allowed"}, "invalid: "},
		{"empty query", "memory_search", map[string]any{"query": ""}, "invalid: "},
		{"full-text syntax is just words", "memory_search", map[string]any{"query": `"unbalanced AND (NEAR* OR`}, ""},
		{"limit out of range", "memory_search", map[string]any{"query": "x", "limit": 1000}, "invalid: "},
		{"malformed time", "memory_list", map[string]any{"since": "yesterday"}, "invalid: since"},
		{"bad cursor", "memory_list", map[string]any{"cursor": "not-a-cursor"}, "invalid: "},
		{"missing id", "memory_get", map[string]any{}, "id"},
		{"bad id", "memory_delete", map[string]any{"id": "../../etc"}, "invalid: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				f.call(t, tc.tool, tc.args, nil) // user text never reaches the engine as syntax
				return
			}
			msg := f.toolError(t, tc.tool, tc.args)
			assert.Contains(t, msg, tc.want)
			assert.NotContains(t, msg, "sqlite", "internals stay out of error texts")
		})
	}
	var stats struct {
		Memories int64 `json:"memories"`
	}
	f.call(t, "memory_stats", nil, &stats)
	assert.Equal(t, int64(0), stats.Memories, "no bad call stored anything")

	calls := func(tool, outcome string) float64 {
		return testutil.ToFloat64(f.metrics.MCPToolCalls.WithLabelValues(tool, outcome))
	}
	assert.Equal(t, 0.0, calls("memory_store", "ok"), "no store succeeded")
	assert.Equal(t, 7.0, calls("memory_store", "invalid"), "each refused store is counted by its code")
	assert.Equal(t, 1.0, calls("memory_store", "too_large"))
	assert.Equal(t, 1.0, calls("memory_search", "ok"))
	assert.Equal(t, 2.0, calls("memory_search", "invalid"))
	assert.Equal(t, 1.0, calls("memory_get", "invalid"))
	assert.Equal(t, 1.0, calls("memory_delete", "invalid"))
}
