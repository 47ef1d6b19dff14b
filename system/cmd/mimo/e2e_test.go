package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeEndToEnd drives every REST route of a served Mimo, on each store.
func TestServeEndToEnd(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b.env(t))
			s.waitIndexed(t)
			u := s.URL

			code, out := call(t, "POST", u+"/api/memories", map[string]any{
				"content": "The deploy pipeline runs on Postgres 15 in the staging cluster", "category": "fact",
				"importance": 0.8, "tags": []string{"infra", "deploy"}, "metadata": map[string]any{"source": "chat"},
			})
			require.Equal(t, 201, code, "%v", out)
			assert.Equal(t, "created", out["status"])
			m := out["memory"].(map[string]any)
			id := m["id"].(string)
			assert.Equal(t, "default", m["namespace"])
			assert.Equal(t, 0.8, m["importance"])
			assert.Equal(t, []any{"infra", "deploy"}, m["tags"])
			assert.Equal(t, map[string]any{"source": "chat"}, m["metadata"])
			assert.EqualValues(t, 384, m["embedding_dim"])

			// Identical content is idempotent: 200 with the same memory.
			code, out = call(t, "POST", u+"/api/memories", map[string]any{"content": "The deploy pipeline runs on Postgres 15 in the staging cluster"})
			require.Equal(t, 200, code, "%v", out)
			assert.Equal(t, "existing", out["status"])
			assert.Equal(t, id, out["memory"].(map[string]any)["id"])

			// A near-duplicate is stored and reported.
			code, out = call(t, "POST", u+"/api/memories", map[string]any{"content": "The deploy pipeline runs on Postgres 15 in the staging cluster."})
			require.Equal(t, 201, code, "%v", out)
			assert.Equal(t, id, out["duplicate_of"])
			nearID := out["memory"].(map[string]any)["id"].(string)

			// Get records the access.
			code, out = call(t, "GET", u+"/api/memories/"+id, nil)
			require.Equal(t, 200, code, "%v", out)
			assert.EqualValues(t, 1, out["access_count"])
			assert.NotNil(t, out["last_accessed_at"])

			// Batch store, with per-item results.
			code, out = call(t, "POST", u+"/api/memories/batch", map[string]any{"memories": []map[string]any{
				{"content": "The user prefers tabs over spaces in Go code", "category": "observation"},
				{"content": ""},
				{"content": "Backups of the staging database run nightly at 02:00 UTC", "tags": []string{"infra"}},
			}})
			require.Equal(t, 200, code, "%v", out)
			assert.EqualValues(t, 2, out["created"])
			assert.EqualValues(t, 1, out["failed"])
			results := out["results"].([]any)
			require.Len(t, results, 3)
			assert.Equal(t, "invalid", results[1].(map[string]any)["error"].(map[string]any)["code"])
			backupID := results[2].(map[string]any)["memory"].(map[string]any)["id"].(string)

			// Search is hybrid and returns score components.
			code, out = call(t, "POST", u+"/api/search", map[string]any{"query": "when do database backups happen?", "limit": 3})
			require.Equal(t, 200, code, "%v", out)
			assert.Equal(t, "hybrid", out["mode"])
			res := out["results"].([]any)
			require.NotEmpty(t, res)
			top := res[0].(map[string]any)
			assert.Equal(t, backupID, top["memory"].(map[string]any)["id"])
			score := top["score"].(map[string]any)
			for _, k := range []string{"vector", "text", "recency", "importance", "total"} {
				assert.Contains(t, score, k)
			}
			assert.Greater(t, score["vector"].(float64), 0.0)
			assert.Greater(t, score["text"].(float64), 0.0)

			// Filters: tags and category.
			ids := searchIDs(t, u, map[string]any{"query": "staging", "tags": []string{"infra", "deploy"}})
			assert.ElementsMatch(t, []string{id}, ids)
			ids = searchIDs(t, u, map[string]any{"query": "tabs spaces", "categories": []string{"observation"}})
			require.Len(t, ids, 1)

			// Supersede: the old one leaves default results but stays readable.
			code, out = call(t, "POST", u+"/api/memories", map[string]any{"content": "Backups of the staging database run nightly at 03:30 UTC", "supersedes": backupID})
			require.Equal(t, 201, code, "%v", out)
			newBackupID := out["memory"].(map[string]any)["id"].(string)
			ids = searchIDs(t, u, map[string]any{"query": "staging database backups nightly"})
			assert.Contains(t, ids, newBackupID)
			assert.NotContains(t, ids, backupID)
			ids = searchIDs(t, u, map[string]any{"query": "staging database backups nightly", "include_superseded": true})
			assert.Contains(t, ids, backupID)
			code, out = call(t, "GET", u+"/api/memories/"+backupID, nil)
			require.Equal(t, 200, code)
			assert.Equal(t, newBackupID, out["superseded_by"])

			// Update.
			code, out = call(t, "PATCH", u+"/api/memories/"+nearID, map[string]any{"importance": 0.1, "tags": []string{"dup"}})
			require.Equal(t, 200, code, "%v", out)
			assert.Equal(t, 0.1, out["importance"])
			assert.Equal(t, []any{"dup"}, out["tags"])

			// List with paging: 4 current memories, 2 per page, no repeats.
			seen := map[string]bool{}
			cursor := ""
			for pages := 0; ; pages++ {
				require.Less(t, pages, 5)
				url := u + "/api/memories?limit=2"
				if cursor != "" {
					url += "&cursor=" + cursor
				}
				code, out = call(t, "GET", url, nil)
				require.Equal(t, 200, code, "%v", out)
				for _, m := range out["memories"].([]any) {
					mid := m.(map[string]any)["id"].(string)
					assert.False(t, seen[mid], "memory %s listed twice", mid)
					seen[mid] = true
				}
				next, _ := out["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			assert.Len(t, seen, 4)

			// Delete removes it from reads and from search.
			code, out = call(t, "DELETE", u+"/api/memories/"+id, nil)
			require.Equal(t, 200, code, "%v", out)
			code, _ = call(t, "GET", u+"/api/memories/"+id, nil)
			assert.Equal(t, 404, code)
			ids = searchIDs(t, u, map[string]any{"query": "deploy pipeline Postgres staging cluster", "limit": 50})
			assert.NotContains(t, ids, id)

			// Health and metrics.
			code, out = call(t, "GET", u+"/health", nil)
			require.Equal(t, 200, code)
			assert.Equal(t, "ok", out["status"])
			assert.EqualValues(t, 4, out["memories"])
			assert.Contains(t, out["components"], "db")
			code, _ = call(t, "GET", u+"/health/live", nil)
			assert.Equal(t, 200, code)
			code, _ = call(t, "GET", u+"/health/ready", nil)
			assert.Equal(t, 200, code)
			code, raw := callRaw(t, "GET", u+"/metrics", nil, nil)
			require.Equal(t, 200, code)
			assert.Contains(t, string(raw), `mimo_http_requests_total{code="201",method="POST",route="/api/memories"}`)
			assert.Contains(t, string(raw), "mimo_http_request_duration_seconds_bucket")
			assert.Contains(t, string(raw), "go_goroutines")
			assert.Contains(t, string(raw), "process_resident_memory_bytes")
		})
	}
}

// TestNamespaceIsolation: nothing of namespace "a" is visible or touchable
// from namespace "b", on every route.
func TestNamespaceIsolation(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b.env(t))
			s.waitIndexed(t)
			u := s.URL
			secret := "The launch code for project Falcon is orange-seven"
			aID := store(t, u, "a", secret, nil)

			// Same content in b is a different memory, not the existing one.
			code, out := call(t, "POST", u+"/api/memories", map[string]any{"namespace": "b", "content": secret})
			require.Equal(t, 201, code, "%v", out)
			bID := out["memory"].(map[string]any)["id"].(string)
			require.NotEqual(t, aID, bID)
			code, _ = call(t, "DELETE", u+"/api/memories/"+bID+"?namespace=b", nil)
			require.Equal(t, 200, code)

			code, _ = call(t, "GET", u+"/api/memories/"+aID+"?namespace=b", nil)
			assert.Equal(t, 404, code, "get")
			code, _ = call(t, "GET", u+"/api/memories/"+aID, nil)
			assert.Equal(t, 404, code, "get from default")
			code, _ = call(t, "PATCH", u+"/api/memories/"+aID+"?namespace=b", map[string]any{"importance": 1})
			assert.Equal(t, 404, code, "patch")
			code, _ = call(t, "DELETE", u+"/api/memories/"+aID+"?namespace=b", nil)
			assert.Equal(t, 404, code, "delete")
			code, out = call(t, "POST", u+"/api/memories", map[string]any{"namespace": "b", "content": "new falcon code", "supersedes": aID})
			assert.Equal(t, 404, code, "supersede across namespaces: %v", out)
			code, out = call(t, "GET", u+"/api/memories?namespace=b", nil)
			require.Equal(t, 200, code)
			assert.Empty(t, out["memories"], "list")
			assert.Empty(t, searchIDs(t, u, map[string]any{"namespace": "b", "query": "launch code project Falcon"}), "search")
			assert.Empty(t, searchIDs(t, u, map[string]any{"query": "launch code project Falcon"}), "search default")

			// Still intact in a.
			code, out = call(t, "GET", u+"/api/memories/"+aID+"?namespace=a", nil)
			require.Equal(t, 200, code)
			assert.Equal(t, 0.5, out["importance"])
			assert.Equal(t, []string{aID}, searchIDs(t, u, map[string]any{"namespace": "a", "query": "launch code project Falcon"}))
		})
	}
}

// TestBadInput: every malformed request is a 4xx with a JSON error, stores
// nothing and never produces a 5xx.
func TestBadInput(t *testing.T) {
	s := startServer(t, nil)
	u := s.URL
	id := store(t, u, "default", "a memory that must survive every bad request", nil)
	big := strings.Repeat("x", 64*1024+1)
	huge := `{"content":"` + strings.Repeat("y", 1<<20) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"malformed json", "POST", "/api/memories", `{"content": "x"`, 400},
		{"not json", "POST", "/api/memories", `content=x`, 400},
		{"empty body", "POST", "/api/memories", ``, 400},
		{"json array", "POST", "/api/memories", `[{"content":"x"}]`, 400},
		{"trailing data", "POST", "/api/memories", `{"content":"x"} {"content":"y"}`, 400},
		{"wrong type content", "POST", "/api/memories", `{"content": 12}`, 400},
		{"wrong type importance", "POST", "/api/memories", `{"content":"x","importance":"high"}`, 400},
		{"wrong type tags", "POST", "/api/memories", `{"content":"x","tags":"a,b"}`, 400},
		{"unknown field", "POST", "/api/memories", `{"content":"x","colour":"red"}`, 400},
		{"empty content", "POST", "/api/memories", `{"content":""}`, 400},
		{"blank content", "POST", "/api/memories", `{"content":"   \n\t"}`, 400},
		{"content over 64 KiB", "POST", "/api/memories", map[string]any{"content": big}, 413},
		{"body over 1 MiB", "POST", "/api/memories", huge, 413},
		{"importance above 1", "POST", "/api/memories", `{"content":"x","importance":1.5}`, 400},
		{"importance below 0", "POST", "/api/memories", `{"content":"x","importance":-0.1}`, 400},
		{"bad category", "POST", "/api/memories", `{"content":"x","category":"gossip"}`, 400},
		{"metadata not object", "POST", "/api/memories", `{"content":"x","metadata":[1,2]}`, 400},
		{"empty tag", "POST", "/api/memories", `{"content":"x","tags":[""]}`, 400},
		{"bad supersedes id", "POST", "/api/memories", `{"content":"x","supersedes":"nope"}`, 400},
		{"unknown supersedes", "POST", "/api/memories", `{"content":"x","supersedes":"0190c6a4-0000-7000-8000-000000000000"}`, 404},
		{"namespace star", "POST", "/api/memories", `{"content":"x","namespace":"*"}`, 400},
		{"invalid utf-8", "POST", "/api/memories", []byte("{\"content\":\"bad \xff\xfe bytes\"}"), 400},
		{"NUL in content", "POST", "/api/memories", `{"content":"a\u0000b"}`, 400},
		{"batch empty", "POST", "/api/memories/batch", `{"memories":[]}`, 400},
		{"batch wrong type", "POST", "/api/memories/batch", `{"memories":{"content":"x"}}`, 400},
		{"search empty query", "POST", "/api/search", `{"query":""}`, 400},
		{"search limit 0 is default", "POST", "/api/search", `{"query":"survive","limit":0}`, 200},
		{"search limit too big", "POST", "/api/search", `{"query":"x","limit":1000}`, 400},
		{"search negative limit", "POST", "/api/search", `{"query":"x","limit":-1}`, 400},
		{"search bad cursor", "POST", "/api/search", `{"query":"x","cursor":"garbage!"}`, 400},
		{"search bad time", "POST", "/api/search", `{"query":"x","since":"yesterday"}`, 400},
		{"search unknown field", "POST", "/api/search", `{"query":"x","sort":"asc"}`, 400},
		{"list bad limit", "GET", "/api/memories?limit=abc", nil, 400},
		{"list limit too big", "GET", "/api/memories?limit=100000", nil, 400},
		{"list bad cursor", "GET", "/api/memories?cursor=%25%25", nil, 400},
		{"list bad since", "GET", "/api/memories?since=tomorrow", nil, 400},
		{"list bad bool", "GET", "/api/memories?include_superseded=maybe", nil, 400},
		{"get bad id", "GET", "/api/memories/not-an-id", nil, 400},
		{"get unknown id", "GET", "/api/memories/0190c6a4-0000-7000-8000-000000000000", nil, 404},
		{"patch nothing", "PATCH", "/api/memories/" + id, `{}`, 400},
		{"patch unknown field", "PATCH", "/api/memories/" + id, `{"id":"x"}`, 400},
		{"patch bad importance", "PATCH", "/api/memories/" + id, `{"importance":7}`, 400},
		{"unknown route", "GET", "/api/nothing", nil, 404},
		{"wrong method", "PUT", "/api/memories", `{}`, 405},
	}
	// Full-text syntax must be plain words to the engine, never an error.
	for i, q := range []string{`"unbalanced`, `a OR b NOT c`, `NEAR(x y)`, `*`, `foo:*`, `!(x) & y | z`, `'`, `\`, `-- ;DROP TABLE memories`, `content:survive`, `^survive`, `(((`} {
		cases = append(cases, struct {
			name, method, path string
			body               any
			want               int
		}{fmt.Sprintf("fts syntax %d", i), "POST", "/api/search", map[string]any{"query": q}, 200})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, raw := callRaw(t, c.method, u+c.path, c.body, nil)
			assert.Equal(t, c.want, code, "body: %s", raw)
			assert.Less(t, code, 500)
			if c.want >= 400 {
				assert.Regexp(t, `^\{"error":\{"code":"[a-z_]+","message":"[^"]+`, string(raw))
			}
		})
	}
	// Nothing was stored, and the one memory is unchanged.
	code, out := call(t, "GET", u+"/api/memories", nil)
	require.Equal(t, 200, code)
	require.Len(t, out["memories"], 1)
	m := out["memories"].([]any)[0].(map[string]any)
	assert.Equal(t, id, m["id"])
	assert.Equal(t, 0.5, m["importance"])
	code, _ = call(t, "GET", u+"/health", nil)
	assert.Equal(t, http.StatusOK, code)
}

// TestAPIKeyGuardsTheAPI: with MIMO_API_KEY set, /api/* needs the bearer
// key; probes and metrics stay open.
func TestAPIKeyGuardsTheAPI(t *testing.T) {
	s := startServer(t, map[string]string{"MIMO_API_KEY": "s3cret-key"})
	body := map[string]any{"content": "guarded memory"}
	code, raw := callRaw(t, "POST", s.URL+"/api/memories", body, nil)
	assert.Equal(t, 401, code, "%s", raw)
	code, _ = callRaw(t, "POST", s.URL+"/api/memories", body, http.Header{"Authorization": {"Bearer wrong-key"}})
	assert.Equal(t, 401, code)
	code, raw = callRaw(t, "POST", s.URL+"/api/memories", body, http.Header{"Authorization": {"Bearer s3cret-key"}})
	assert.Equal(t, 201, code, "%s", raw)
	for _, open := range []string{"/health", "/health/live", "/health/ready", "/metrics"} {
		code, _ = callRaw(t, "GET", s.URL+open, nil, nil)
		assert.Equal(t, 200, code, open)
	}
}

// TestRateLimitAnswers429WithRetryAfter: past the per-client rate, requests
// get 429 with Retry-After, and nothing they carried is stored.
func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	s := startServer(t, map[string]string{"MIMO_RATE_LIMIT": "1"})
	limited := 0
	for i := 0; i < 20 && limited == 0; i++ {
		req, err := http.NewRequest("GET", s.URL+"/api/memories", nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode == 429 {
			limited++
			assert.NotEmpty(t, resp.Header.Get("Retry-After"))
		} else {
			assert.Equal(t, 200, resp.StatusCode)
		}
	}
	assert.Equal(t, 1, limited, "20 requests at once never hit a limit of 1/s")
}
