package embed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/embed"
)

// wire is a fake embedding service: it records every request body and
// answers with answer(body).
type wire struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []map[string]any
	headers []http.Header
}

func newWire(t *testing.T, path string, answer func(w http.ResponseWriter, body map[string]any)) *wire {
	s := &wire{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		answer(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *wire) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// vectorOf is the fake services' vector of a text: dim values, the first
// the text's length, the others 1, not normalised (Mimo must normalise).
func vectorOf(text string, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = 1
	}
	v[0] = float32(len(text))
	return v
}

func inputs(body map[string]any) []string {
	var out []string
	for _, x := range body["input"].([]any) {
		out = append(out, x.(string))
	}
	return out
}

func ollamaAnswer(dim int) func(w http.ResponseWriter, body map[string]any) {
	return func(w http.ResponseWriter, body map[string]any) {
		var embs [][]float32
		for _, in := range inputs(body) {
			embs = append(embs, vectorOf(in, dim))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"model": body["model"], "embeddings": embs})
	}
}

// openAIAnswer answers the data in reverse order, as a server may: Mimo
// must order by index.
func openAIAnswer(dim int) func(w http.ResponseWriter, body map[string]any) {
	return func(w http.ResponseWriter, body map[string]any) {
		in := inputs(body)
		dim := dim
		if d, ok := body["dimensions"].(float64); ok {
			dim = int(d)
		}
		var data []map[string]any
		for i := len(in) - 1; i >= 0; i-- {
			data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": vectorOf(in[i], dim)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
	}
}

func assertUnit(t *testing.T, v []float32) {
	t.Helper()
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	assert.InDelta(t, 1, math.Sqrt(sum), 1e-5)
}

func TestOllamaSendsBatchesAndKeepsOrder(t *testing.T) {
	s := newWire(t, "/api/embed", ollamaAnswer(8))
	e, err := embed.NewOllama(embed.RemoteOptions{URL: s.URL + "/", Dim: 8, BatchSize: 3})
	require.NoError(t, err)
	assert.Equal(t, "ollama/nomic-embed-text", e.Model())
	assert.Equal(t, 8, e.Dim())

	var texts []string
	for i := range 7 {
		texts = append(texts, strings.Repeat("x", i+1))
	}
	vecs, err := e.Embed(context.Background(), texts)
	require.NoError(t, err)
	require.Len(t, vecs, 7)
	assert.Equal(t, 3, s.calls(), "7 texts in batches of 3")
	for i, v := range vecs {
		assertUnit(t, v)
		want := vectorOf(texts[i], 8)
		assert.InDelta(t, float64(want[0])/float64(want[1]), float64(v[0]/v[1]), 1e-4, "vector %d is its text's", i)
	}
	assert.Equal(t, "nomic-embed-text", s.bodies[0]["model"])
	assert.Equal(t, []any{"x", "xx", "xxx"}, s.bodies[0]["input"])
	assert.NotContains(t, s.bodies[0], "dimensions")
	assert.Empty(t, s.headers[0].Get("Authorization"))

	vecs, err = e.Embed(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, vecs)
	assert.Equal(t, 3, s.calls(), "nothing to embed, no call")
}

func TestOpenAIOrdersByIndexAndSendsDimensionsToModelsThatTakeIt(t *testing.T) {
	s := newWire(t, "/v1/embeddings", openAIAnswer(1536))
	e, err := embed.NewOpenAI(embed.RemoteOptions{URL: s.URL + "/v1", Dim: 64, APIKey: "sk-test"})
	require.NoError(t, err)
	assert.Equal(t, "openai/text-embedding-3-small", e.Model())
	vecs, err := e.Embed(context.Background(), []string{"a", "bbb", ""})
	require.NoError(t, err)
	require.Len(t, vecs, 3)
	for _, v := range vecs {
		assert.Len(t, v, 64)
		assertUnit(t, v)
	}
	assert.Greater(t, vecs[1][0], vecs[0][0], "vectors in input order, though answered in reverse")
	assert.Equal(t, "Bearer sk-test", s.headers[0].Get("Authorization"))
	assert.Equal(t, float64(64), s.bodies[0]["dimensions"])
	assert.Equal(t, []any{"a", "bbb", " "}, s.bodies[0]["input"], "an empty text is sent as one space")

	// A model that cannot shorten its vectors is not sent "dimensions".
	other, err := embed.NewOpenAI(embed.RemoteOptions{URL: s.URL + "/v1", Model: "bge-small", Dim: 1536})
	require.NoError(t, err)
	_, err = other.Embed(context.Background(), []string{"a"})
	require.NoError(t, err)
	assert.NotContains(t, s.bodies[1], "dimensions")
}

func TestOpenAICutsLongTextsAtACharacterBoundary(t *testing.T) {
	s := newWire(t, "/embeddings", openAIAnswer(4))
	e, err := embed.NewOpenAI(embed.RemoteOptions{URL: s.URL, Model: "m", Dim: 4, MaxInputBytes: 5})
	require.NoError(t, err)
	_, err = e.Embed(context.Background(), []string{"ééé"}) // 6 bytes
	require.NoError(t, err)
	assert.Equal(t, []any{"éé"}, s.bodies[0]["input"])
}

// failure embeds one text against a server answering with h and returns
// the *embed.Failure the error wraps.
func failure(t *testing.T, provider string, opts embed.RemoteOptions, h http.HandlerFunc) *embed.Failure {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	opts.URL = s.URL
	e, err := embed.NewRemote(provider, opts)
	require.NoError(t, err)
	_, err = e.Embed(context.Background(), []string{"one", "two"})
	require.Error(t, err)
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%v", err)
	var f *embed.Failure
	require.True(t, errors.As(err, &f), "%v wraps a *embed.Failure", err)
	assert.Equal(t, provider, f.Provider)
	return f
}

func status(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

func TestFailuresAreClassified(t *testing.T) {
	for _, tc := range []struct {
		name, provider, reason string
		h                      http.HandlerFunc
	}{
		{"malformed JSON", embed.ProviderOllama, embed.ReasonMalformed, status(200, `{"embeddings": [[0.1, 0.2`)},
		{"empty body", embed.ProviderOllama, embed.ReasonMalformed, status(200, ``)},
		{"not JSON at all", embed.ProviderOpenAI, embed.ReasonMalformed, status(200, `<html>gateway</html>`)},
		{"too few vectors", embed.ProviderOllama, embed.ReasonMalformed, status(200, `{"embeddings": [[1,0,0,0]]}`)},
		{"no vectors", embed.ProviderOllama, embed.ReasonMalformed, status(200, `{}`)},
		{"too many data", embed.ProviderOpenAI, embed.ReasonMalformed,
			status(200, `{"data": [{"index":0,"embedding":[1,0,0,0]},{"index":1,"embedding":[1,0,0,0]},{"index":2,"embedding":[1,0,0,0]}]}`)},
		{"repeated index", embed.ProviderOpenAI, embed.ReasonMalformed,
			status(200, `{"data": [{"index":0,"embedding":[1,0,0,0]},{"index":0,"embedding":[1,0,0,0]}]}`)},
		{"missing index", embed.ProviderOpenAI, embed.ReasonMalformed,
			status(200, `{"data": [{"embedding":[1,0,0,0]},{"index":1,"embedding":[1,0,0,0]}]}`)},
		{"wrong dimension", embed.ProviderOllama, embed.ReasonWrongDim, status(200, `{"embeddings": [[1,0,0],[1,0,0]]}`)},
		{"wrong dimension openai", embed.ProviderOpenAI, embed.ReasonWrongDim,
			status(200, `{"data": [{"index":0,"embedding":[1,0,0,0,0]},{"index":1,"embedding":[1,0,0,0,0]}]}`)},
		{"server error", embed.ProviderOllama, embed.ReasonServer, status(500, `{"error":"model crashed"}`)},
		{"bad gateway", embed.ProviderOpenAI, embed.ReasonServer, status(502, `bad gateway`)},
		{"unknown model", embed.ProviderOllama, embed.ReasonBadRequest, status(404, `{"error":"model \"m\" not found, try pulling it first"}`)},
		{"bad key", embed.ProviderOpenAI, embed.ReasonBadRequest, status(401, `{"error":{"message":"Incorrect API key"}}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := failure(t, tc.provider, embed.RemoteOptions{Model: "m", Dim: 4}, tc.h)
			assert.Equal(t, tc.reason, f.Reason, "%v", f)
			assert.Contains(t, f.Error(), tc.reason)
		})
	}
}

func TestRateLimitKeepsRetryAfter(t *testing.T) {
	f := failure(t, embed.ProviderOpenAI, embed.RemoteOptions{Dim: 4},
		status(429, `{"error":{"message":"Rate limit reached"}}`, "Retry-After", "7"))
	assert.Equal(t, embed.ReasonRateLimited, f.Reason)
	assert.Equal(t, 429, f.Status)
	assert.Equal(t, 7*time.Second, f.RetryAfter)
	assert.Contains(t, f.Error(), "retry after 7s")

	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	f = failure(t, embed.ProviderOllama, embed.RemoteOptions{Dim: 4}, status(429, `slow down`, "Retry-After", date))
	assert.InDelta(t, 90, f.RetryAfter.Seconds(), 2)

	f = failure(t, embed.ProviderOllama, embed.RemoteOptions{Dim: 4}, status(429, `slow down`))
	assert.Zero(t, f.RetryAfter, "no header, no wait given")
}

func TestNonFiniteVectorIsMalformed(t *testing.T) {
	// JSON has no NaN; a float too large for float32 decodes as +Inf.
	f := failure(t, embed.ProviderOllama, embed.RemoteOptions{Dim: 2}, status(200, `{"embeddings": [[1e39, 1],[1, 1]]}`))
	assert.Equal(t, embed.ReasonMalformed, f.Reason)
}

func TestSlowServerEndsAtTheTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := failure(t, embed.ProviderOllama, embed.RemoteOptions{Dim: 4, Timeout: 50 * time.Millisecond},
		func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
	assert.Equal(t, embed.ReasonTimeout, f.Reason, "%v", f)
}

func TestRefusedConnection(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	for _, p := range []string{embed.ProviderOllama, embed.ProviderOpenAI} {
		e, err := embed.NewRemote(p, embed.RemoteOptions{URL: url})
		require.NoError(t, err)
		_, err = e.Embed(context.Background(), []string{"x"})
		var f *embed.Failure
		require.True(t, errors.As(err, &f), "%v", err)
		assert.Equal(t, embed.ReasonRefused, f.Reason, "%v", f)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, o := range []struct {
		provider string
		opts     embed.RemoteOptions
	}{
		{"word2vec", embed.RemoteOptions{}},
		{embed.ProviderOllama, embed.RemoteOptions{URL: "ftp://host"}},
		{embed.ProviderOpenAI, embed.RemoteOptions{URL: "not a url"}},
		{embed.ProviderOllama, embed.RemoteOptions{Dim: -1}},
	} {
		_, err := embed.NewRemote(o.provider, o.opts)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), fmt.Sprint(o))
	}
	e, err := embed.NewOpenAI(embed.RemoteOptions{})
	require.NoError(t, err)
	assert.Equal(t, embed.DefaultOpenAIDim, e.Dim())
	e, err = embed.NewOllama(embed.RemoteOptions{})
	require.NoError(t, err)
	assert.Equal(t, embed.DefaultOllamaDim, e.Dim())
}
