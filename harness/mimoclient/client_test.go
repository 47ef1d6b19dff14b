package mimoclient

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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
	mux.HandleFunc("GET /api/memories", func(w http.ResponseWriter, r *http.Request) {
		// Three memories, two a page; the cursor is the next index.
		all := []*mimo.Memory{{ID: "m3"}, {ID: "m2"}, {ID: "m1"}}
		q := r.URL.Query()
		if q.Get("namespace") != "ns" || q.Get("limit") != "2" || q.Get("tags") != "a,b" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"invalid","message":"unexpected query ` + r.URL.RawQuery + `"}}`))
			return
		}
		from := 0
		if c := q.Get("cursor"); c != "" {
			from = int(c[0] - '0')
		}
		page := mimo.ListPage{Memories: all[from:min(from+2, len(all))]}
		if from+2 < len(all) {
			page.NextCursor = string(rune('0' + from + 2))
		}
		_ = json.NewEncoder(w).Encode(page)
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

func TestClientListAllPagesThroughEveryMemory(t *testing.T) {
	c := fakeMimo(t, nil)
	var ids []string
	for m, err := range c.ListAll(context.Background(), mimo.ListQuery{Filter: mimo.Filter{Namespace: "ns", Tags: []string{"a", "b"}}, Limit: 2}) {
		require.NoError(t, err)
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []string{"m3", "m2", "m1"}, ids)

	for _, err := range c.ListAll(context.Background(), mimo.ListQuery{Filter: mimo.Filter{Namespace: "other"}}) {
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "a refused page ends the listing with its error")
	}
}

func TestDoReturnsEveryAnswerWhole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Header.Get("Content-Type")+" "+r.Header.Get("Authorization"))
		switch string(b) {
		case `{"raw":true}`:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":"unavailable","message":"database down"}}`))
		default:
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>proxy error</html>"))
		}
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, APIKey: "k"}
	ctx := context.Background()

	r, err := c.Do(ctx, http.MethodPost, "/api/memories", json.RawMessage(`{"raw":true}`))
	require.NoError(t, err, "an error status is an answer, not an error")
	assert.Equal(t, http.StatusServiceUnavailable, r.Status)
	assert.Equal(t, "application/json Bearer k", r.Header.Get("X-Seen"))
	assert.Positive(t, r.Elapsed)
	e, ok := r.APIError()
	require.True(t, ok)
	assert.Equal(t, &mimo.Error{Code: mimo.EUNAVAILABLE, Message: "database down"}, e)
	assert.Equal(t, e, r.Err())

	r, err = c.Do(ctx, http.MethodGet, "/x", nil)
	require.NoError(t, err)
	assert.Equal(t, "Bearer k", r.Header.Get("X-Seen"), "no body, no content type")
	_, ok = r.APIError()
	assert.False(t, ok, "a proxy's page is not Mimo's error")
	assert.Equal(t, mimo.EINTERNAL, mimo.ErrorCode(r.Err()))
	assert.Contains(t, r.Err().Error(), "HTTP 502: <html>proxy error</html>")
	assert.Error(t, r.Decode(&struct{}{}))

	assert.NoError(t, (&Response{Status: 204}).Err())
}
