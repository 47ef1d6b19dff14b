package httpapi_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/httpapi"
	"mimo/system/memory"
	"mimo/system/memory/memorytest"
)

// TestADatabaseOutageOverREST runs the real service with a database that
// fails: writes answer 202 queued, reads from the cache say so in a
// header or the body, and a full spool is 503 with Retry-After.
func TestADatabaseOutageOverREST(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true, Outage: true, SpoolMax: 8 << 10, Configure: func(o *memory.Options) {
		o.BreakerFailures = 1
	}})
	e := newEnv(t, httpapi.Options{Service: f.Service})

	resp := e.do("POST", "/api/memories", `{"namespace":"team","content":"Staging runs on db-2."}`)
	require.Equal(t, http.StatusCreated, resp.Code, "%s", resp.Body)
	a := resp.JSON(t)["memory"].(map[string]any)["id"].(string)

	f.Switch.Fail(mimo.Wrap(mimo.EUNAVAILABLE, errors.New("connection refused"), "database unavailable"))

	resp = e.do("POST", "/api/memories", `{"namespace":"team","content":"The freeze starts Friday."}`)
	require.Equal(t, http.StatusAccepted, resp.Code, "%s", resp.Body)
	body := resp.JSON(t)
	assert.Equal(t, "queued", body["status"])
	assert.Equal(t, true, body["queued"])
	assert.Equal(t, true, body["created"])
	b := body["memory"].(map[string]any)["id"].(string)
	require.NotEmpty(t, b)

	resp = e.do("GET", "/api/memories/"+b+"?namespace=team", "")
	require.Equal(t, http.StatusOK, resp.Code, "%s", resp.Body)
	assert.Equal(t, "db_unavailable", resp.Header.Get("X-Mimo-Degraded"))
	assert.Equal(t, "The freeze starts Friday.", resp.JSON(t)["content"])

	resp = e.do("GET", "/api/memories?namespace=team", "")
	require.Equal(t, http.StatusOK, resp.Code, "%s", resp.Body)
	assert.Equal(t, true, resp.JSON(t)["degraded"])
	assert.Len(t, resp.JSON(t)["memories"], 2)

	resp = e.do("POST", "/api/search", `{"namespace":"team","query":"staging host"}`)
	require.Equal(t, http.StatusOK, resp.Code, "%s", resp.Body)
	assert.Equal(t, true, resp.JSON(t)["degraded"])
	assert.Equal(t, "db_unavailable", resp.JSON(t)["reason"])

	resp = e.do("PATCH", "/api/memories/"+a+"?namespace=team", `{"importance":0.9}`)
	require.Equal(t, http.StatusAccepted, resp.Code, "%s", resp.Body)
	assert.Equal(t, "queued", resp.JSON(t)["status"])
	assert.Equal(t, 0.9, resp.JSON(t)["memory"].(map[string]any)["importance"])

	resp = e.do("DELETE", "/api/memories/"+a+"?namespace=team", "")
	require.Equal(t, http.StatusAccepted, resp.Code, "%s", resp.Body)
	assert.Equal(t, map[string]any{"status": "queued", "id": a}, resp.JSON(t))

	resp = e.do("POST", "/api/memories/batch", `{"namespace":"team","memories":[{"content":"one"},{"content":""}]}`)
	require.Equal(t, http.StatusAccepted, resp.Code, "%s", resp.Body)
	assert.Equal(t, 1.0, resp.JSON(t)["queued"])

	resp = e.do("GET", "/api/memories/0190a0a0-0000-7000-8000-000000000000?namespace=team", "")
	assert.Equal(t, http.StatusServiceUnavailable, resp.Code, "a get the cache cannot serve")
	assert.Equal(t, "unavailable", resp.ErrorCode(t))

	// The spool's cap (8 KiB) is reached after a few memories with vectors.
	var full response
	for i := range 10 {
		full = e.do("POST", "/api/memories", `{"namespace":"team","content":"filling the spool `+string(rune('a'+i))+`"}`)
		if full.Code != http.StatusAccepted {
			break
		}
	}
	require.Equal(t, http.StatusServiceUnavailable, full.Code, "%s", full.Body)
	assert.Equal(t, "unavailable", full.ErrorCode(t))
	assert.Contains(t, string(full.Body), "spool full")
	assert.NotEmpty(t, full.Header.Get("Retry-After"))

	resp = e.do("GET", "/health", "")
	require.Equal(t, http.StatusOK, resp.Code, "degraded, still serving: %s", resp.Body)
	h := resp.JSON(t)
	assert.Equal(t, "degraded", h["status"])
	assert.Equal(t, "down", h["components"].(map[string]any)["db"].(map[string]any)["status"])
	assert.Equal(t, "open", h["components"].(map[string]any)["db"].(map[string]any)["circuit"])
	assert.Positive(t, h["spool"].(map[string]any)["pending"])
}
