package llm_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/llm"
)

// server answers path with status and body, and records the last request.
type server struct {
	*httptest.Server
	got    map[string]any
	header http.Header
}

func newServer(t *testing.T, path string, status int, body string) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		s.header = r.Header.Clone()
		_ = json.NewDecoder(r.Body).Decode(&s.got)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestOpenAICompatibleChatCompletion(t *testing.T) {
	s := newServer(t, "/v1/chat/completions", 200,
		`{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Staging is on db-2 [1]."},"finish_reason":"stop"}]}`)
	m, err := llm.New(llm.Options{Provider: llm.ProviderOpenAI, URL: s.URL + "/v1/", Model: "small", APIKey: "k"})
	require.NoError(t, err)
	assert.Equal(t, "openai/small", m.Model())
	got, err := m.Complete(context.Background(), "be brief", "[1] staging is on db-2\n\nQuestion: where?")
	require.NoError(t, err)
	assert.Equal(t, "Staging is on db-2 [1].", got)
	assert.Equal(t, "Bearer k", s.header.Get("Authorization"))
	assert.Equal(t, "small", s.got["model"])
	assert.Equal(t, false, s.got["stream"])
	assert.Equal(t, []any{
		map[string]any{"role": "system", "content": "be brief"},
		map[string]any{"role": "user", "content": "[1] staging is on db-2\n\nQuestion: where?"},
	}, s.got["messages"])
}

func TestOllamaChat(t *testing.T) {
	s := newServer(t, "/api/chat", 200,
		`{"model":"llama3.2","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":"On db-2."},"done":true}`)
	m, err := llm.New(llm.Options{Provider: llm.ProviderOllama, URL: s.URL})
	require.NoError(t, err)
	assert.Equal(t, "ollama/"+llm.DefaultOllamaModel, m.Model())
	got, err := m.Complete(context.Background(), "sys", "q")
	require.NoError(t, err)
	assert.Equal(t, "On db-2.", got)
	assert.Empty(t, s.header.Get("Authorization"))
	assert.Equal(t, false, s.got["stream"])
}

func TestEveryFailureIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		status     int
		body       string
	}{
		{"server error", "/v1/chat/completions", 500, `{"error":{"message":"overloaded","type":"server_error"}}`},
		{"rate limited", "/v1/chat/completions", 429, `{"error":{"message":"slow down"}}`},
		{"malformed body", "/v1/chat/completions", 200, `{"choices":[{"message":`},
		{"no choices", "/v1/chat/completions", 200, `{"choices":[]}`},
		{"empty answer", "/v1/chat/completions", 200, `{"choices":[{"message":{"role":"assistant","content":"  "}}]}`},
		{"wrong path", "/elsewhere", 200, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.path, tc.status, tc.body)
			m, err := llm.New(llm.Options{Provider: llm.ProviderOpenAI, URL: s.URL + "/v1"})
			require.NoError(t, err)
			_, err = m.Complete(context.Background(), "s", "p")
			assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%v", err)
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		s := httptest.NewServer(http.NotFoundHandler())
		url := s.URL
		s.Close()
		m, err := llm.New(llm.Options{Provider: llm.ProviderOllama, URL: url})
		require.NoError(t, err)
		_, err = m.Complete(context.Background(), "s", "p")
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
	})

	t.Run("slower than the timeout", func(t *testing.T) {
		release := make(chan struct{})
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(func() { close(release); s.Close() })
		m, err := llm.New(llm.Options{Provider: llm.ProviderOllama, URL: s.URL, Timeout: 50 * time.Millisecond})
		require.NoError(t, err)
		_, err = m.Complete(context.Background(), "s", "p")
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "the call ends at its timeout instead of hanging")
	})
}

func TestNewRefusesBadOptions(t *testing.T) {
	_, err := llm.New(llm.Options{Provider: "gpt"})
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err))
	_, err = llm.New(llm.Options{Provider: llm.ProviderOpenAI, URL: "ftp://x"})
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err))
	m, err := llm.New(llm.Options{Provider: llm.ProviderOpenAI})
	require.NoError(t, err)
	assert.Equal(t, "openai/"+llm.DefaultOpenAIModel, m.Model())
}
