package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/httpapi"
)

func TestStoreStatusFollowsOutcome(t *testing.T) {
	for _, tc := range []struct {
		name   string
		result mimo.StoreResult
		code   int
		status string
	}{
		{"created", mimo.StoreResult{Created: true}, http.StatusCreated, "created"},
		{"existing", mimo.StoreResult{Created: false}, http.StatusOK, "existing"},
		{"queued", mimo.StoreResult{Created: true, Queued: true}, http.StatusAccepted, "queued"},
		{"near duplicate", mimo.StoreResult{Created: true, DuplicateOf: "m0"}, http.StatusCreated, "created"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &fakeService{store: func(r mimo.StoreRequest) (*mimo.StoreResult, error) {
				res := tc.result
				res.Memory = memoryFor(r.Namespace, "m1", r.Content)
				return &res, nil
			}}
			e := newEnv(t, httpapi.Options{Service: svc})
			resp := e.do("POST", "/api/memories", `{"content":"the sky is blue","namespace":"team","category":"observation","importance":0,"tags":["a","b"],"metadata":{"k":1},"supersedes":"m0"}`)
			require.Equal(t, tc.code, resp.Code, "%s", resp.Body)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

			body := resp.JSON(t)
			assert.Equal(t, tc.status, body["status"])
			mem := body["memory"].(map[string]any)
			assert.Equal(t, "m1", mem["id"])
			assert.Equal(t, "team", mem["namespace"])
			if tc.result.DuplicateOf != "" {
				assert.Equal(t, tc.result.DuplicateOf, body["duplicate_of"])
			} else {
				assert.NotContains(t, body, "duplicate_of")
			}

			got := svc.only(t).Arg.(mimo.StoreRequest)
			require.NotNil(t, got.Importance, "an explicit importance of 0 must reach the service")
			assert.Equal(t, mimo.StoreRequest{
				Namespace: "team", Content: "the sky is blue", Category: "observation",
				Importance: got.Importance, Tags: []string{"a", "b"},
				Metadata: json.RawMessage(`{"k":1}`), Supersedes: "m0",
			}, got)
			assert.Equal(t, 0.0, *got.Importance)
		})
	}
}

func TestStoreLeavesDefaultsToTheService(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	resp := e.do("POST", "/api/memories", `{"content":"x"}`)
	require.Equal(t, http.StatusCreated, resp.Code)
	got := e.svc.only(t).Arg.(mimo.StoreRequest)
	assert.Equal(t, mimo.StoreRequest{Content: "x"}, got)
}

func TestStoreBatch(t *testing.T) {
	svc := &fakeService{batch: func(rs []mimo.StoreRequest) ([]mimo.BatchItemResult, error) {
		return []mimo.BatchItemResult{
			{Result: &mimo.StoreResult{Memory: memoryFor(rs[0].Namespace, "a", rs[0].Content), Created: true, DuplicateOf: "z"}},
			{Err: mimo.Errorf(mimo.EINVALID, "content is empty")},
			{Result: &mimo.StoreResult{Memory: memoryFor(rs[2].Namespace, "c", rs[2].Content)}},
			{Result: &mimo.StoreResult{Memory: memoryFor(rs[3].Namespace, "d", rs[3].Content), Created: true, Queued: true}},
			{Err: errors.New("disk on fire")},
		}, nil
	}}
	e := newEnv(t, httpapi.Options{Service: svc})
	resp := e.do("POST", "/api/memories/batch", `{"namespace":"team","memories":[
		{"content":"a"},
		{"content":""},
		{"content":"c","namespace":"own"},
		{"content":"d"},
		{"content":"e"}]}`)
	require.Equal(t, http.StatusAccepted, resp.Code, "an item was queued: %s", resp.Body)

	items := svc.only(t).Arg.([]mimo.StoreRequest)
	require.Len(t, items, 5)
	assert.Equal(t, []string{"team", "team", "own", "team", "team"},
		[]string{items[0].Namespace, items[1].Namespace, items[2].Namespace, items[3].Namespace, items[4].Namespace},
		"an item's own namespace wins over the batch's")

	var body struct {
		Results []struct {
			Index       int               `json:"index"`
			Status      string            `json:"status"`
			Memory      *mimo.Memory      `json:"memory"`
			DuplicateOf string            `json:"duplicate_of"`
			Error       map[string]string `json:"error"`
		} `json:"results"`
		Created, Existing, Queued, Failed int
	}
	require.NoError(t, json.Unmarshal(resp.Body, &body))
	require.Len(t, body.Results, 5)
	for i, r := range body.Results {
		assert.Equal(t, i, r.Index)
	}
	assert.Equal(t, "created", body.Results[0].Status)
	assert.Equal(t, "z", body.Results[0].DuplicateOf)
	assert.Equal(t, "a", body.Results[0].Memory.ID)
	assert.Equal(t, map[string]string{"code": "invalid", "message": "content is empty"}, body.Results[1].Error)
	assert.Empty(t, body.Results[1].Status)
	assert.Nil(t, body.Results[1].Memory)
	assert.Equal(t, "existing", body.Results[2].Status)
	assert.Equal(t, "own", body.Results[2].Memory.Namespace)
	assert.Equal(t, "queued", body.Results[3].Status)
	assert.Equal(t, map[string]string{"code": "internal", "message": "internal error"}, body.Results[4].Error)
	assert.Equal(t, 1, body.Created)
	assert.Equal(t, 1, body.Existing)
	assert.Equal(t, 1, body.Queued)
	assert.Equal(t, 2, body.Failed)
	assert.Contains(t, e.logs.String(), "disk on fire", "an internal item error's cause is logged")
	assert.NotContains(t, string(resp.Body), "disk on fire", "and never sent")
}

func TestStoreBatchWithoutBatchNamespaceLeavesItemsAlone(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	resp := e.do("POST", "/api/memories/batch", `{"memories":[{"content":"a"},{"content":"b","namespace":"x"}]}`)
	require.Equal(t, http.StatusOK, resp.Code)
	items := e.svc.only(t).Arg.([]mimo.StoreRequest)
	assert.Equal(t, []mimo.StoreRequest{{Content: "a"}, {Content: "b", Namespace: "x"}}, items)
}

func TestStoreBatchTooManyItemsIsTheServicesInvalid(t *testing.T) {
	svc := &fakeService{batch: func(rs []mimo.StoreRequest) ([]mimo.BatchItemResult, error) {
		if len(rs) > mimo.MaxBatch {
			return nil, mimo.Errorf(mimo.EINVALID, "at most %d items", mimo.MaxBatch)
		}
		return nil, nil
	}}
	e := newEnv(t, httpapi.Options{Service: svc})
	body := []byte(`{"memories":[`)
	for i := range mimo.MaxBatch + 1 {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"content":"x"}`...)
	}
	body = append(body, "]}"...)
	resp := e.doBytes("POST", "/api/memories/batch", body)
	assert.Equal(t, http.StatusBadRequest, resp.Code)
	assert.Equal(t, "invalid", resp.ErrorCode(t))
}

func TestListPassesEveryFilter(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	resp := e.do("GET", "/api/memories?namespace=team&category=fact,plan&category=episode&tags=x,y&since=2026-01-01T00:00:00Z&until=2026-02-01T10:00:00.5%2B02:00&include_superseded=true&limit=7&cursor=abc", "")
	require.Equal(t, http.StatusOK, resp.Code, "%s", resp.Body)
	body := resp.JSON(t)
	assert.Equal(t, "next", body["next_cursor"])
	assert.Len(t, body["memories"], 1)

	q := e.svc.only(t).Arg.(mimo.ListQuery)
	until := time.Date(2026, 2, 1, 10, 0, 0, 500_000_000, time.FixedZone("", 2*3600))
	assert.Equal(t, "team", q.Namespace)
	assert.Equal(t, []mimo.Category{"fact", "plan", "episode"}, q.Categories)
	assert.Equal(t, []string{"x", "y"}, q.Tags)
	assert.True(t, q.Since.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	assert.True(t, q.Until.Equal(until), "until %v", q.Until)
	assert.True(t, q.IncludeSuperseded)
	assert.Equal(t, 7, q.Limit)
	assert.Equal(t, "abc", q.Cursor)
}

func TestListWithoutParametersAndEmptyPage(t *testing.T) {
	svc := &fakeService{list: func(mimo.ListQuery) (*mimo.ListPage, error) { return &mimo.ListPage{}, nil }}
	e := newEnv(t, httpapi.Options{Service: svc})
	resp := e.do("GET", "/api/memories", "")
	require.Equal(t, http.StatusOK, resp.Code)
	assert.JSONEq(t, `{"memories":[]}`, string(resp.Body))
	assert.Equal(t, mimo.ListQuery{}, svc.only(t).Arg)
}

func TestListPassesOutOfRangeLimitToTheService(t *testing.T) {
	svc := &fakeService{list: func(q mimo.ListQuery) (*mimo.ListPage, error) {
		if q.Limit < 0 || q.Limit > mimo.MaxListLimit {
			return nil, mimo.Errorf(mimo.EINVALID, "limit must be 1..%d", mimo.MaxListLimit)
		}
		return &mimo.ListPage{}, nil
	}}
	e := newEnv(t, httpapi.Options{Service: svc})
	resp := e.do("GET", "/api/memories?limit=-3", "")
	assert.Equal(t, http.StatusBadRequest, resp.Code)
	assert.Equal(t, -3, svc.only(t).Arg.(mimo.ListQuery).Limit)
}

func TestGetUpdateDeleteTakeNamespaceFromQuery(t *testing.T) {
	e := newEnv(t, httpapi.Options{})

	resp := e.do("GET", "/api/memories/abc-123?namespace=team", "")
	require.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, "abc-123", resp.JSON(t)["id"])
	assert.Equal(t, "team", resp.JSON(t)["namespace"])

	resp = e.do("PATCH", "/api/memories/abc-123?namespace=team", `{"content":"new","importance":0.9,"tags":[],"category":"plan","metadata":{"a":true}}`)
	require.Equal(t, http.StatusOK, resp.Code, "%s", resp.Body)
	assert.Equal(t, "new", resp.JSON(t)["content"])

	resp = e.do("DELETE", "/api/memories/abc-123?namespace=team", "")
	require.Equal(t, http.StatusOK, resp.Code)
	assert.JSONEq(t, `{"deleted":true,"id":"abc-123"}`, string(resp.Body))

	calls := e.svc.Calls()
	require.Len(t, calls, 3)
	for i, want := range []string{"Get", "Update", "Delete"} {
		assert.Equal(t, want, calls[i].Method)
		assert.Equal(t, "team", calls[i].Namespace)
		assert.Equal(t, "abc-123", calls[i].ID)
	}
	u := calls[1].Arg.(mimo.UpdateRequest)
	require.NotNil(t, u.Content)
	require.NotNil(t, u.Importance)
	require.NotNil(t, u.Tags)
	require.NotNil(t, u.Category)
	require.NotNil(t, u.Metadata)
	assert.Equal(t, "new", *u.Content)
	assert.Equal(t, 0.9, *u.Importance)
	assert.Equal(t, []string{}, *u.Tags)
	assert.Equal(t, mimo.CategoryPlan, *u.Category)
	assert.JSONEq(t, `{"a":true}`, string(*u.Metadata))
}

func TestGetUpdateDeleteDefaultNamespace(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	e.do("GET", "/api/memories/a", "")
	e.do("PATCH", "/api/memories/a", `{"importance":1}`)
	e.do("DELETE", "/api/memories/a", "")
	calls := e.svc.Calls()
	require.Len(t, calls, 3)
	for _, c := range calls {
		assert.Equal(t, mimo.DefaultNamespace, c.Namespace, c.Method)
	}
	u := calls[1].Arg.(mimo.UpdateRequest)
	assert.Nil(t, u.Content, "absent fields stay nil")
	assert.Nil(t, u.Tags)
}

func TestUpdateNamespaceInBody(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	resp := e.do("PATCH", "/api/memories/a", `{"namespace":"team","content":"c"}`)
	require.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, "team", e.svc.only(t).Namespace)

	resp = e.do("PATCH", "/api/memories/a?namespace=team", `{"namespace":"team","content":"c"}`)
	require.Equal(t, http.StatusOK, resp.Code, "the same namespace twice is fine")

	resp = e.do("PATCH", "/api/memories/a?namespace=other", `{"namespace":"team","content":"c"}`)
	assert.Equal(t, http.StatusBadRequest, resp.Code)
	assert.Len(t, e.svc.Calls(), 2, "conflicting namespaces never reach the service")
}

func TestSearchPassesEveryField(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	resp := e.do("POST", "/api/search", `{"query":"blue sky","namespace":"team","categories":["fact","plan"],"category":"episode","tags":["t"],"since":"2026-01-01T00:00:00Z","until":"2026-01-02T00:00:00Z","include_superseded":true,"limit":5,"cursor":"c2"}`)
	require.Equal(t, http.StatusOK, resp.Code, "%s", resp.Body)
	body := resp.JSON(t)
	assert.Equal(t, "hybrid", body["mode"])
	results := body["results"].([]any)
	require.Len(t, results, 1)
	first := results[0].(map[string]any)
	assert.Equal(t, "s1", first["memory"].(map[string]any)["id"])
	assert.Equal(t, 0.9, first["score"].(map[string]any)["vector"])

	q := e.svc.only(t).Arg.(mimo.SearchQuery)
	assert.Equal(t, mimo.SearchQuery{
		Filter: mimo.Filter{
			Namespace:         "team",
			Categories:        []mimo.Category{"fact", "plan", "episode"},
			Tags:              []string{"t"},
			Since:             time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Until:             time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
			IncludeSuperseded: true,
		},
		Query: "blue sky", Limit: 5, Cursor: "c2",
	}, q)
}

func TestSearchSingleCategoryAndEmptyResults(t *testing.T) {
	svc := &fakeService{search: func(mimo.SearchQuery) (*mimo.SearchPage, error) {
		return &mimo.SearchPage{Mode: "lexical"}, nil
	}}
	e := newEnv(t, httpapi.Options{Service: svc})
	resp := e.do("POST", "/api/search", `{"query":"q","category":"plan"}`)
	require.Equal(t, http.StatusOK, resp.Code)
	assert.JSONEq(t, `{"results":[],"mode":"lexical"}`, string(resp.Body))
	q := svc.only(t).Arg.(mimo.SearchQuery)
	assert.Equal(t, []mimo.Category{"plan"}, q.Categories)
	assert.Equal(t, "", q.Namespace, "namespace defaulting is the service's")
}

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		status string
		code   int
	}{
		{mimo.StatusOK, http.StatusOK},
		{mimo.StatusDegraded, http.StatusOK},
		{mimo.StatusDown, http.StatusServiceUnavailable},
	} {
		t.Run(tc.status, func(t *testing.T) {
			svc := &fakeService{health: func() mimo.Health {
				return mimo.Health{
					Status: tc.status,
					Components: map[string]mimo.Component{
						"db":  {Status: tc.status, Circuit: "open", Error: "refused"},
						"llm": {Status: "ok", Circuit: "closed"},
					},
					Memories:        42,
					ClassifierCache: mimo.CacheStats{Entries: 2, Hits: 3, Misses: 1, HitRate: 0.75, TTLSeconds: 600, MaxEntries: 10000},
					Spool:           mimo.SpoolStats{Pending: 3, Bytes: 4096},
				}
			}}
			e := newEnv(t, httpapi.Options{Service: svc, Version: "v9"})
			e.clock.Advance(90*time.Second + 250*time.Millisecond)
			resp := e.do("GET", "/health", "")
			require.Equal(t, tc.code, resp.Code)
			assert.JSONEq(t, `{"status":"`+tc.status+`","version":"v9","uptime_seconds":90.25,
				"components":{"db":{"status":"`+tc.status+`","circuit":"open","error":"refused"},
				"llm":{"status":"ok","circuit":"closed"}},"memories":42,"spool":{"pending":3,"bytes":4096},
				"classifier_cache":{"entries":2,"hits":3,"misses":1,"hit_rate":0.75,"ttl_seconds":600,"max_entries":10000}}`, string(resp.Body))
		})
	}
}

func TestProbes(t *testing.T) {
	var notReady error = errors.New("migrations pending")
	ready := func(context.Context) error { return notReady }
	e := newEnv(t, httpapi.Options{Ready: ready, APIKey: "k"})

	resp := e.do("GET", "/health/live", "")
	require.Equal(t, http.StatusOK, resp.Code)
	assert.JSONEq(t, `{"status":"ok"}`, string(resp.Body))

	resp = e.do("GET", "/health/ready", "")
	require.Equal(t, http.StatusServiceUnavailable, resp.Code)
	assert.Equal(t, "migrations pending", resp.JSON(t)["reason"])

	notReady = nil
	resp = e.do("GET", "/health/ready", "")
	require.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, "ready", resp.JSON(t)["status"])

	e2 := newEnv(t, httpapi.Options{})
	assert.Equal(t, http.StatusOK, e2.do("GET", "/health/ready", "").Code, "nil Ready is always ready")
}

func TestMetricsEndpointServesTheRegistry(t *testing.T) {
	e := newEnv(t, httpapi.Options{Version: "v1"})
	e.do("GET", "/health/live", "")
	resp := e.do("GET", "/metrics", "")
	require.Equal(t, http.StatusOK, resp.Code)
	assert.Contains(t, string(resp.Body), `mimo_build_info{version="test"} 1`)
	assert.Contains(t, string(resp.Body), `mimo_http_requests_total{code="200",method="GET",route="/health/live"} 1`)
	assert.Contains(t, string(resp.Body), "go_goroutines")
}

func TestDefaultMetricsArePrivate(t *testing.T) {
	// Two servers with default metrics must not clash on a shared registry.
	require.NotPanics(t, func() {
		httpapi.New(httpapi.Options{Service: &fakeService{}})
		httpapi.New(httpapi.Options{Service: &fakeService{}})
	})
}

func TestMCPIsMountedBehindTheGuard(t *testing.T) {
	var got []string
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
	})
	e := newEnv(t, httpapi.Options{MCP: mcp, APIKey: "secret"})
	assert.Equal(t, http.StatusUnauthorized, e.do("POST", "/mcp", `{}`).Code)
	resp := e.do("POST", "/mcp", `{}`, "Authorization", "Bearer secret")
	assert.Equal(t, http.StatusOK, resp.Code)
	resp = e.do("GET", "/mcp", "", "Authorization", "Bearer secret")
	assert.Equal(t, http.StatusOK, resp.Code)
	assert.Equal(t, []string{"POST", "GET"}, got)

	e2 := newEnv(t, httpapi.Options{})
	assert.Equal(t, http.StatusNotFound, e2.do("POST", "/mcp", `{}`).Code, "no MCP handler, no route")
}

func TestMCPBodyIsLimited(t *testing.T) {
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	e := newEnv(t, httpapi.Options{MCP: mcp, MaxBodyBytes: 64})
	assert.Equal(t, http.StatusOK, e.do("POST", "/mcp", strings.Repeat("a", 64)).Code)
	assert.Equal(t, http.StatusRequestEntityTooLarge, e.do("POST", "/mcp", strings.Repeat("a", 65)).Code)
}

func TestAskPassesTheQuestionAndAnswersTheServiceAnswer(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	resp := e.do("POST", "/api/ask", `{"query":"which postgres does staging run?","namespace":"team","limit":3}`)
	require.Equal(t, http.StatusOK, resp.Code, "%s", resp.Body)
	assert.JSONEq(t, `{"answer":"The staging database is Postgres 15 [1].","sources":[{"kind":"memory","id":"m1","score":0.9}],
		"route":{"stores":["memories"],"confidence":0.5,"cached":false},"degraded":false,"latency_ms":0}`, string(resp.Body))
	assert.Equal(t, mimo.AskRequest{Namespace: "team", Query: "which postgres does staging run?", Limit: 3}, e.svc.only(t).Arg)
}
