package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectMCP connects the SDK's client to base's /mcp at protocol version
// ("" for the newest), with header added to every request.
func connectMCP(t *testing.T, base, version string, header http.Header) (*mcp.ClientSession, error) {
	t.Helper()
	hc := &http.Client{Transport: headerTransport{header}}
	client := mcp.NewClient(&mcp.Implementation{Name: "mimo-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: hc, MaxRetries: -1},
		&mcp.ClientSessionOptions{ProtocolVersion: version})
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

type headerTransport struct{ h http.Header }

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(r)
}

// callTool calls tool and decodes its structured output into out.
func callTool(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	require.NoError(t, err, tool)
	require.False(t, res.IsError, "%s: %v", tool, res.Content)
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, out))
}

type mcpMemory struct {
	Memory struct {
		ID string `json:"id"`
	} `json:"memory"`
}

type mcpResults struct {
	Results []struct {
		Memory struct {
			ID string `json:"id"`
		} `json:"memory"`
	} `json:"results"`
}

func (r mcpResults) ids() []string {
	var ids []string
	for _, x := range r.Results {
		ids = append(ids, x.Memory.ID)
	}
	return ids
}

// Both protocol eras of the SDK are served at /mcp, and MCP and REST see
// the same memories, on each store.
func TestMCPOverHTTPServesBothProtocolErasAndAgreesWithREST(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b.env(t))
			s.waitIndexed(t)
			for _, era := range []struct{ ask, want string }{
				{"", "2026-07-28"},
				{"2025-11-25", "2025-11-25"},
				{"2025-06-18", "2025-06-18"},
			} {
				t.Run("protocol "+era.want, func(t *testing.T) {
					ns := "mcp-" + strings.ReplaceAll(era.want, "-", "")
					cs, err := connectMCP(t, s.URL, era.ask, nil)
					require.NoError(t, err)
					require.Equal(t, era.want, cs.InitializeResult().ProtocolVersion)

					var stored mcpMemory
					callTool(t, cs, "memory_store", map[string]any{"namespace": ns, "content": "The MCP door stored this note about glacier hiking"}, &stored)
					code, got := call(t, "GET", s.URL+"/api/memories/"+stored.Memory.ID+"?namespace="+ns, nil)
					require.Equal(t, 200, code, "REST reads what MCP stored: %v", got)

					id := store(t, s.URL, ns, "The REST door stored this note about kayak repairs", nil)
					var found mcpResults
					callTool(t, cs, "memory_search", map[string]any{"namespace": ns, "query": "kayak repairs"}, &found)
					require.NotEmpty(t, found.Results)
					assert.Equal(t, id, found.Results[0].Memory.ID, "MCP finds what REST stored, first")
				})
			}
		})
	}
}

func TestMCPRefusesForeignHostsAndCrossOriginRequests(t *testing.T) {
	s := startServer(t, nil)
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`
	post := func(t *testing.T, host string, header http.Header) int {
		t.Helper()
		req, err := http.NewRequest("POST", s.URL+"/mcp", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		// The 2025-11-25 era answers a sessionless tools/list only in
		// stateless mode, which is what /mcp runs.
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		for k, v := range header {
			req.Header[k] = v
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, post(t, "", nil), "the same request from a local client is served")
	assert.Equal(t, http.StatusForbidden, post(t, "evil.example", nil), "a Host header naming another host (DNS rebinding)")
	assert.Equal(t, http.StatusForbidden, post(t, "", http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}),
		"a cross-origin browser request")
}

func TestMCPNeedsTheAPIKeyWhenOneIsSet(t *testing.T) {
	s := startServer(t, map[string]string{"MIMO_API_KEY": "s3cret-key"})
	_, err := connectMCP(t, s.URL, "", nil)
	require.Error(t, err, "no key, no session")
	_, err = connectMCP(t, s.URL, "", http.Header{"Authorization": {"Bearer wrong"}})
	require.Error(t, err, "a wrong key, no session")
	cs, err := connectMCP(t, s.URL, "", http.Header{"Authorization": {"Bearer s3cret-key"}})
	require.NoError(t, err)
	var stats struct {
		Memories int64 `json:"memories"`
	}
	callTool(t, cs, "memory_stats", nil, &stats)
	assert.Equal(t, int64(0), stats.Memories)
}

// mimo stdio speaks MCP on stdin and stdout (a desktop client's way), and
// two stdio processes on one data directory see each other's memories.
func TestStdioServesMCPAndSharesTheStore(t *testing.T) {
	bin := mimoBinary(t)
	dir := t.TempDir()
	connect := func() *mcp.ClientSession {
		cmd := exec.Command(bin, "stdio")
		cmd.Env = append(os.Environ(), "MIMO_DATA_DIR="+dir, "MIMO_LOG_LEVEL=debug")
		client := mcp.NewClient(&mcp.Implementation{Name: "desktop", Version: "1"}, nil)
		cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
		require.NoError(t, err, "stdout carries only the protocol, even with debug logs on")
		t.Cleanup(func() { _ = cs.Close() })
		return cs
	}
	first, second := connect(), connect()
	tools, err := first.ListTools(context.Background(), nil)
	require.NoError(t, err)
	assert.Len(t, tools.Tools, 17, "eight memory tools and nine graph tools")

	var stored mcpMemory
	callTool(t, first, "memory_store", map[string]any{"content": "The first window learned that the build cache lives on the fast disk"}, &stored)
	var got struct {
		Content string `json:"content"`
	}
	callTool(t, second, "memory_get", map[string]any{"id": stored.Memory.ID}, &got)
	assert.Contains(t, got.Content, "build cache")
	var found mcpResults
	callTool(t, second, "memory_search", map[string]any{"query": "where does the build cache live"}, &found)
	assert.Contains(t, found.ids(), stored.Memory.ID, "the other process's search finds it")
}

// POST /api/ask and memory_ask answer the same question the same way, on
// each store: without a language model, by quoting the best memory.
func TestAskOverRESTAndMCP(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b.env(t))
			s.waitIndexed(t)
			id := store(t, s.URL, "ask", "The staging database is Postgres 15 on db-2.", nil)
			store(t, s.URL, "ask", "Lunch is at noon on Fridays.", nil)

			code, rest := call(t, "POST", s.URL+"/api/ask", map[string]any{"namespace": "ask", "query": "which postgres version is the staging database?"})
			require.Equal(t, 200, code, "%v", rest)
			assert.Equal(t, "The staging database is Postgres 15 on db-2 [1].", rest["answer"])
			assert.Equal(t, true, rest["degraded"])
			assert.Equal(t, id, rest["sources"].([]any)[0].(map[string]any)["id"])

			cs, err := connectMCP(t, s.URL, "", nil)
			require.NoError(t, err)
			var viaMCP struct {
				Answer string `json:"answer"`
				Route  struct {
					Cached bool `json:"cached"`
				} `json:"route"`
			}
			callTool(t, cs, "memory_ask", map[string]any{"namespace": "ask", "query": "Which Postgres version is the staging database?"}, &viaMCP)
			assert.Equal(t, rest["answer"], viaMCP.Answer, "both doors answer alike")
			assert.True(t, viaMCP.Route.Cached, "the second asking of the question is routed from the cache")

			code, health := call(t, "GET", s.URL+"/health", nil)
			require.Equal(t, 200, code)
			cache := health["classifier_cache"].(map[string]any)
			assert.Equal(t, 1.0, cache["hits"])
			assert.Equal(t, 1.0, cache["misses"])
		})
	}
}

// With MIMO_LLM=openai the model answers from the memories found; when it
// fails, the answer to the same question comes from the cache of its
// answers, and others are extractive, all marked degraded, and /health
// shows the model failing until it answers again.
func TestAskWithAnOpenAICompatibleModel(t *testing.T) {
	var failing atomic.Bool
	var prompts atomic.Int64
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		prompts.Add(1)
		if failing.Load() {
			http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"Postgres 15, on db-2 [1]."}}]}`))
	}))
	defer model.Close()
	s := startServer(t, map[string]string{"MIMO_LLM": "openai", "MIMO_LLM_URL": model.URL + "/v1", "MIMO_LLM_MODEL": "tiny"})
	s.waitIndexed(t)
	store(t, s.URL, "", "The staging database is Postgres 15 on db-2.", nil)

	q := map[string]any{"query": "which postgres does staging run?"}
	code, ans := call(t, "POST", s.URL+"/api/ask", q)
	require.Equal(t, 200, code, "%v", ans)
	assert.Equal(t, "Postgres 15, on db-2 [1].", ans["answer"])
	assert.Equal(t, false, ans["degraded"])

	failing.Store(true)
	code, ans = call(t, "POST", s.URL+"/api/ask", q)
	require.Equal(t, 200, code)
	assert.Equal(t, "Postgres 15, on db-2 [1].", ans["answer"], "the cached answer")
	assert.Equal(t, true, ans["degraded"])
	code, ans = call(t, "POST", s.URL+"/api/ask", map[string]any{"query": "what is the staging database?"})
	require.Equal(t, 200, code)
	assert.Equal(t, "The staging database is Postgres 15 on db-2 [1].", ans["answer"], "extractive")
	code, health := call(t, "GET", s.URL+"/health", nil)
	require.Equal(t, 200, code)
	assert.Equal(t, "degraded", health["components"].(map[string]any)["llm"].(map[string]any)["status"])
	code, metrics := callRaw(t, "GET", s.URL+"/metrics", nil, nil)
	require.Equal(t, 200, code)
	assert.Contains(t, string(metrics), `mimo_fallback_triggered_total{reason="cached_answer",service="llm"} 1`)
	assert.Contains(t, string(metrics), `mimo_fallback_triggered_total{reason="llm_failed",service="llm"} 1`)

	failing.Store(false)
	code, ans = call(t, "POST", s.URL+"/api/ask", q)
	require.Equal(t, 200, code)
	assert.Equal(t, false, ans["degraded"])
	_, health = call(t, "GET", s.URL+"/health", nil)
	assert.Equal(t, "ok", health["status"])
	assert.Equal(t, int64(4), prompts.Load(), "every question reached the model")
	_, metrics = callRaw(t, "GET", s.URL+"/metrics", nil, nil)
	assert.Contains(t, string(metrics), `mimo_llm_duration_seconds_count{provider="openai"} 4`, "each call timed, by provider")
}

// Piped input: every request read before the end of input is answered
// before mimo stdio exits.
func TestStdioAnswersEveryRequestBeforeExitingAtEndOfInput(t *testing.T) {
	cmd := exec.Command(mimoBinary(t), "stdio")
	cmd.Env = append(os.Environ(), "MIMO_DATA_DIR="+t.TempDir(), "MIMO_LOG_LEVEL=error")
	cmd.Stdin = strings.NewReader(strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"pipe","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"memory_store","arguments":{"content":"Piped in and stored"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"memory_search","arguments":{"query":"piped"}}}`,
		``,
	}, "\n"))
	out, err := cmd.Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 3, "three answers for three requests:\n%s", out)
	ids := map[float64]map[string]any{}
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "stdout carries only protocol: %s", l)
		ids[m["id"].(float64)] = m
	}
	for _, id := range []float64{1, 2, 3} {
		require.Contains(t, ids, id)
		assert.NotContains(t, ids[id], "error", "request %v", id)
	}
	assert.Contains(t, lines[len(lines)-1]+lines[0]+lines[1], "Piped in and stored")
}
