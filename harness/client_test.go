package harness

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

// fakeMimo answers like Mimo's REST API for one memory, "m1", in namespace
// "ns", and records the last search body.
func fakeMimo(t *testing.T, lastSearch *map[string]any) *Client {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/memories", func(w http.ResponseWriter, r *http.Request) {
		var req mimo.StoreRequest
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		status, code := "created", http.StatusCreated
		switch req.Content {
		case "again":
			status, code = "existing", http.StatusOK
		case "spooled":
			status, code = "queued", http.StatusAccepted
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "memory": mimo.Memory{ID: "m1", Namespace: req.Namespace, Content: req.Content}})
	})
	mux.HandleFunc("GET /api/memories/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "m1" || r.URL.Query().Get("namespace") != "ns" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"no memory m2"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(mimo.Memory{ID: "m1", Namespace: "ns", Content: "x"})
	})
	mux.HandleFunc("DELETE /api/memories/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"deleted":true,"id":"m1"}`))
	})
	mux.HandleFunc("POST /api/search", func(w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, json.NewDecoder(r.Body).Decode(lastSearch))
		_ = json.NewEncoder(w).Encode(mimo.SearchPage{Mode: "hybrid", Results: []mimo.SearchResult{{Memory: &mimo.Memory{ID: "m1"}, Score: mimo.Scores{Total: 0.7}}}})
	})
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"not_ready","reason":"database: connection refused"}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &Client{BaseURL: srv.URL + "/"}
}

func TestClientStoreMapsStatus(t *testing.T) {
	c := fakeMimo(t, nil)
	ctx := context.Background()
	for content, want := range map[string]mimo.StoreResult{
		"new":     {Created: true},
		"again":   {},
		"spooled": {Queued: true},
	} {
		res, err := c.Store(ctx, mimo.StoreRequest{Namespace: "ns", Content: content})
		require.NoError(t, err, content)
		assert.Equal(t, want.Created, res.Created, content)
		assert.Equal(t, want.Queued, res.Queued, content)
		assert.Equal(t, content, res.Memory.Content)
	}
}

func TestClientGetDeleteAndErrors(t *testing.T) {
	c := fakeMimo(t, nil)
	ctx := context.Background()

	m, err := c.Get(ctx, "ns", "m1")
	require.NoError(t, err)
	assert.Equal(t, "m1", m.ID)

	_, err = c.Get(ctx, "ns", "m2")
	var merr *mimo.Error
	require.True(t, errors.As(err, &merr), "an API error is a *mimo.Error: %v", err)
	assert.Equal(t, mimo.ENOTFOUND, merr.Code)
	assert.Equal(t, "no memory m2", merr.Message)

	require.NoError(t, c.Delete(ctx, "ns", "m1"))

	err = c.Ready(ctx)
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "a 503 without Mimo's error body is unavailable")
	assert.Contains(t, mimo.ErrorMessage(err), "connection refused")
}

func TestClientSearchSendsTheQuery(t *testing.T) {
	var body map[string]any
	c := fakeMimo(t, &body)
	page, err := c.Search(context.Background(), mimo.SearchQuery{
		Filter: mimo.Filter{Namespace: "ns", Tags: []string{"a"}},
		Query:  "what",
		Limit:  5,
	})
	require.NoError(t, err)
	assert.Equal(t, "hybrid", page.Mode)
	require.Len(t, page.Results, 1)
	assert.Equal(t, "m1", page.Results[0].Memory.ID)
	assert.Equal(t, map[string]any{"query": "what", "namespace": "ns", "tags": []any{"a"}, "limit": 5.0}, body,
		"zero fields are left out, so Mimo applies its defaults")
}

func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := (&Client{BaseURL: srv.URL}).Get(context.Background(), "", "m1")
	require.Error(t, err)
	var merr *mimo.Error
	assert.False(t, errors.As(err, &merr), "a transport failure is not an API error")
}

func TestOptionsDefaultsAndProxyAddrs(t *testing.T) {
	o := Options{}.withDefaults()
	assert.Equal(t, DefaultMimoImage, o.MimoImage)
	assert.Equal(t, DefaultPostgresImage, o.PostgresImage)
	assert.Equal(t, DefaultStandinImage, o.StandinImage)
	assert.Equal(t, DefaultToxiproxyImage, o.ToxiproxyImage)
	assert.Equal(t, DefaultStartupTimeout, o.StartupTimeout)
	assert.Equal(t, "custom", Options{MimoImage: "custom"}.withDefaults().MimoImage)

	seen := map[string]bool{}
	for _, name := range []string{ProxyPostgres, ProxyOllama, ProxyLLM} {
		addr := ProxyAddr(name)
		assert.NotEmpty(t, addr, name)
		assert.False(t, seen[addr], "each proxy listens on its own port")
		seen[addr] = true
	}
	assert.Empty(t, ProxyAddr("nope"))
}

func TestClientAsk(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/ask" {
			http.NotFound(w, r)
			return
		}
		var req mimo.AskRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Query != "why?" || req.Namespace != "ns" {
			http.Error(w, `{"error":{"code":"invalid","message":"bad ask"}}`, http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"answer":"because [1].","sources":[{"kind":"memory","id":"m1","score":0.5}],"route":{"stores":["memories"],"confidence":0.5,"cached":true},"degraded":true,"reason":"r","latency_ms":1.5}`))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL}
	a, err := c.Ask(context.Background(), mimo.AskRequest{Namespace: "ns", Query: "why?"})
	require.NoError(t, err)
	assert.Equal(t, "because [1].", a.Answer)
	assert.True(t, a.Route.Cached)
	assert.Equal(t, []mimo.Source{{Kind: "memory", ID: "m1", Score: 0.5}}, a.Sources)
	_, err = c.Ask(context.Background(), mimo.AskRequest{Query: "other"})
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err))
}
