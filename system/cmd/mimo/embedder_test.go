package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system/embed"
)

// fakeOllama speaks Ollama's /api/embed with the built-in embedder's
// vectors (so similar texts get similar vectors), and fails with 500 while
// down is set.
type fakeOllama struct {
	*httptest.Server
	down  atomic.Bool
	texts atomic.Int64
}

func newFakeOllama(t *testing.T, dim int) *fakeOllama {
	f := &fakeOllama{}
	b := embed.NewBuiltin(embed.BuiltinOptions{Dim: dim})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/embed" || f.down.Load() {
			http.Error(w, `{"error":"unavailable"}`, http.StatusInternalServerError)
			return
		}
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		f.texts.Add(int64(len(req.Input)))
		vecs, _ := b.Embed(r.Context(), req.Input)
		_ = json.NewEncoder(w).Encode(map[string]any{"model": req.Model, "embeddings": vecs})
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOllama) env(vars map[string]string) map[string]string {
	out := map[string]string{"MIMO_EMBEDDER": "ollama", "MIMO_EMBED_URL": f.URL, "MIMO_EMBED_DIM": "64", "MIMO_EMBED_TIMEOUT": "2s"}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

func TestBadEmbedderSettingStopsStartupWithOneClearLine(t *testing.T) {
	for name, value := range map[string]string{
		"MIMO_EMBEDDER":      "word2vec",
		"MIMO_EMBED_URL":     "ftp://models",
		"MIMO_EMBED_DIM":     "4",
		"MIMO_EMBED_TIMEOUT": "soon",
		"MIMO_EMBED_MODEL":   " padded ",
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI(t, map[string]string{name: value, "MIMO_DATA_DIR": t.TempDir()}, "serve")
			assert.Equal(t, 2, code)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "want one line, got %q", errOut)
			assert.Contains(t, errOut, name)
			assert.Contains(t, errOut, "set it")
		})
	}
	_, out, _ := runCLI(t, nil, "reindex", "--help")
	assert.Contains(t, out, "Usage: mimo reindex")
	for _, flag := range []string{"-embedder", "-embed-url", "-embed-model", "-embed-dim", "-embed-api-key", "-embed-timeout"} {
		assert.Contains(t, out, flag)
	}
}

// A store holding vectors of another model than the configured embedder's
// stops start-up with one line naming `mimo reindex`; reindex re-embeds
// them (quietly, off a terminal) and serve then starts and searches by
// meaning with the new model. A reindex that stops half-way is continued.
func TestEmbedderChangeNeedsReindex(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, map[string]string{"MIMO_DATA_DIR": dir})
	for _, c := range []string{"The staging database runs on db-2.", "Lunch is at noon on Thursdays.", "Backups run nightly at 02:00."} {
		store(t, s.URL, "default", c, nil)
	}
	s.stop(t)

	ollama := newFakeOllama(t, 64)
	vars := ollama.env(map[string]string{"MIMO_DATA_DIR": dir})
	code, out, errOut := runCLI(t, vars, "serve")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
	assert.Contains(t, errOut, "mimo reindex")
	assert.Contains(t, errOut, "3 memories")
	assert.Contains(t, errOut, "ollama/nomic-embed-text (64 dimensions)")

	ollama.down.Store(true)
	code, _, errOut = runCLI(t, vars, "reindex")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "run 'mimo reindex' again")
	assert.Contains(t, errOut, "server", "the provider's failure is told")

	ollama.down.Store(false)
	code, out, errOut = runCLI(t, vars, "reindex")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "reindexed: 3 memories re-embedded with ollama/nomic-embed-text (64 dimensions)")
	assert.NotContains(t, errOut, "re-embedded 3…", "no progress off a terminal")
	assert.Equal(t, int64(3), ollama.texts.Load())

	code, out, errOut = runCLI(t, vars, "reindex")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "reindexed: 0 memories", "a second run has nothing left to do")
	assert.Equal(t, int64(3), ollama.texts.Load())

	s = startServer(t, vars)
	s.waitIndexed(t)
	code, got := call(t, "POST", s.URL+"/api/search", map[string]any{"query": "staging database host"})
	require.Equal(t, 200, code, "%v", got)
	assert.Equal(t, "hybrid", got["mode"])
	assert.NotContains(t, got, "degraded")
	results := got["results"].([]any)
	require.NotEmpty(t, results)
	first := results[0].(map[string]any)["memory"].(map[string]any)
	assert.Equal(t, "The staging database runs on db-2.", first["content"])
	assert.Equal(t, "ollama/nomic-embed-text", first["embedding_model"])
}

// While the provider is down, stores succeed without a vector and searches
// are degraded; once it is back, the memories are re-embedded in the
// background and /health shows the progress.
func TestServeKeepsStoringWhileTheEmbedderIsDown(t *testing.T) {
	ollama := newFakeOllama(t, 64)
	s := startServer(t, ollama.env(map[string]string{"MIMO_BREAKER_FAILURES": "2", "MIMO_BREAKER_RESET": "1s"}))
	s.waitIndexed(t)
	ollama.down.Store(true)

	code, got := call(t, "POST", s.URL+"/api/memories", map[string]any{"content": "The deploy window opens on Fridays."})
	require.Equal(t, http.StatusCreated, code, "%v", got)
	assert.NotContains(t, got["memory"], "embedding_model", "stored without a vector")
	code, got = call(t, "POST", s.URL+"/api/search", map[string]any{"query": "deploy window"})
	require.Equal(t, 200, code)
	assert.Equal(t, "lexical", got["mode"])
	assert.Equal(t, true, got["degraded"])
	assert.Equal(t, "embedder_unavailable", got["reason"])
	require.Len(t, got["results"], 1)

	_, health := call(t, "GET", s.URL+"/health", nil)
	assert.Equal(t, "degraded", health["status"])
	emb := health["components"].(map[string]any)["embedder"].(map[string]any)
	assert.Equal(t, "open", emb["circuit"])
	assert.Contains(t, health, "reembed")

	ollama.down.Store(false)
	require.Eventually(t, func() bool {
		// Searches probe the provider once the circuit half-opens; the
		// first success wakes re-embedding.
		call(t, "POST", s.URL+"/api/search", map[string]any{"query": "deploy window"})
		_, h := call(t, "GET", s.URL+"/health", nil)
		r, _ := h["reembed"].(map[string]any)
		return r != nil && r["pending"] == 0.0 && r["done"] == 1.0
	}, 20*time.Second, 50*time.Millisecond)
	_, health = call(t, "GET", s.URL+"/health", nil)
	assert.Equal(t, "ok", health["status"])
}

// reembedWait bounds the wait for a background re-embedding. It is generous
// because the WordNet table is parsed first (half a second on a quiet
// machine, many times that under -race, coverage and a busy CI).
const reembedWait = 90 * time.Second

// Turning the built-in embedder's WordNet table or its word vectors on
// makes another built-in model; start-up goes on without `mimo reindex`,
// says so, re-embeds the memories in the background and then searches them
// by meaning with the new model. Turning them off again does the same the
// other way.
func TestBuiltinChangeReembedsInTheBackground(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, map[string]string{"MIMO_DATA_DIR": dir})
	for _, c := range []string{"The staging database runs on db-2.", "Lunch is at noon on Thursdays.", "Backups run nightly at 02:00."} {
		store(t, s.URL, "default", c, nil)
	}
	s.stop(t)

	for _, c := range []struct{ wordnet, vectors string }{{"true", "false"}, {"false", "true"}, {"false", "false"}} {
		model := embed.NewBuiltin(embed.BuiltinOptions{WordNet: c.wordnet == "true", WordVectors: c.vectors == "true"}).Model()
		s = startServer(t, map[string]string{"MIMO_DATA_DIR": dir, "MIMO_EMBED_WORDNET": c.wordnet, "MIMO_EMBED_WORD_VECTORS": c.vectors})
		require.Eventually(t, func() bool {
			code, got := call(t, "POST", s.URL+"/api/search", map[string]any{"query": "staging database host"})
			if code != 200 || got["mode"] != "hybrid" {
				return false
			}
			results, _ := got["results"].([]any)
			if len(results) == 0 {
				return false
			}
			first := results[0].(map[string]any)["memory"].(map[string]any)
			return first["content"] == "The staging database runs on db-2." && first["embedding_model"] == model
		}, reembedWait, 20*time.Millisecond, "the memories are re-embedded with %s", model)
		require.Eventually(t, func() bool {
			return strings.Contains(s.stderr.String(), "re-embedded the built-in embedder's memories")
		}, reembedWait, 20*time.Millisecond)
		assert.Contains(t, s.stderr.String(), "re-embedding in the background")
		assert.Contains(t, s.stderr.String(), `"memories":3`)
		s.stop(t)
	}
}
