// Package llm synthesises answers with a language model over HTTP: any
// OpenAI-compatible /v1/chat/completions, or Ollama's /api/chat. Each
// implements mimo.LLM; every call is bounded by a timeout, and any failure
// — unreachable, a non-2xx status, a malformed or empty reply — is an
// EUNAVAILABLE *mimo.Error, so the service falls back.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"mimo/system"
	"mimo/system/internal/httpkit"
)

// Provider names, as MIMO_LLM takes them.
const (
	ProviderOpenAI = "openai"
	ProviderOllama = "ollama"
)

// Defaults for Options' zero values.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultOpenAIURL   = "https://api.openai.com/v1"
	DefaultOpenAIModel = "gpt-4o-mini"
	DefaultOllamaURL   = "http://127.0.0.1:11434"
	DefaultOllamaModel = "llama3.2"
)

// maxReply bounds a reply body read from the model server.
const maxReply = 4 << 20

// Options configures New. Provider is required; the zero value of every
// other field is the provider's default.
type Options struct {
	Provider string // ProviderOpenAI or ProviderOllama
	// URL is the API root: for OpenAI-compatible servers the /v1 prefix
	// included (DefaultOpenAIURL), for Ollama the server root
	// (DefaultOllamaURL).
	URL    string
	Model  string
	APIKey string // sent as a bearer token when set (OpenAI-compatible)
	// Timeout bounds one completion, connection included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Client makes the requests; nil means a client with Timeout.
	Client *http.Client
}

// Model is a language model reached over HTTP.
type Model struct {
	provider, url, model, apiKey string
	client                       *http.Client
}

var _ mimo.LLM = (*Model)(nil)

// New returns the model opts names. An unknown provider or a URL that is
// not http(s) is EINVALID.
func New(opts Options) (*Model, error) {
	m := &Model{provider: opts.Provider, url: strings.TrimRight(opts.URL, "/"), model: opts.Model, apiKey: opts.APIKey, client: opts.Client}
	switch opts.Provider {
	case ProviderOpenAI:
		if m.url == "" {
			m.url = DefaultOpenAIURL
		}
		if m.model == "" {
			m.model = DefaultOpenAIModel
		}
	case ProviderOllama:
		if m.url == "" {
			m.url = DefaultOllamaURL
		}
		if m.model == "" {
			m.model = DefaultOllamaModel
		}
	default:
		return nil, mimo.Errorf(mimo.EINVALID, "llm: unknown provider %q; use %s or %s", opts.Provider, ProviderOpenAI, ProviderOllama)
	}
	if !strings.HasPrefix(m.url, "http://") && !strings.HasPrefix(m.url, "https://") {
		return nil, mimo.Errorf(mimo.EINVALID, "llm: %q is not an http(s) URL", m.url)
	}
	if m.client == nil {
		timeout := opts.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		m.client = httpkit.Client(timeout)
	}
	return m, nil
}

// Model names the provider and model, as metrics label it.
func (m *Model) Model() string { return m.provider + "/" + m.model }

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatRequest is the body of both protocols' chat calls; a struct, not a
// map, so encoding it takes no map iteration or key sorting.
type chatRequest struct {
	Model    string    `json:"model"`
	Messages []message `json:"messages"`
	Stream   bool      `json:"stream"`
}

// Complete asks the model to answer prompt under the system instructions.
func (m *Model) Complete(ctx context.Context, system, prompt string) (string, error) {
	msgs := []message{{Role: "system", Content: system}, {Role: "user", Content: prompt}}
	var reply string
	var err error
	if m.provider == ProviderOllama {
		var out struct {
			Message message `json:"message"`
		}
		err = m.post(ctx, "/api/chat", chatRequest{Model: m.model, Messages: msgs}, &out)
		reply = out.Message.Content
	} else {
		var out struct {
			Choices []struct {
				Message message `json:"message"`
			} `json:"choices"`
		}
		err = m.post(ctx, "/chat/completions", chatRequest{Model: m.model, Messages: msgs}, &out)
		if err == nil && len(out.Choices) > 0 {
			reply = out.Choices[0].Message.Content
		}
	}
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(reply) == "" {
		return "", mimo.Errorf(mimo.EUNAVAILABLE, "llm: %s answered nothing", m.Model())
	}
	return reply, nil
}

// post sends body as JSON to path and decodes a 2xx reply into out.
func (m *Model) post(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "llm: encoding the request")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+path, bytes.NewReader(b))
	if err != nil {
		return mimo.Wrap(mimo.EINVALID, err, "llm: bad URL")
	}
	req.Header.Set("Content-Type", "application/json")
	if m.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+m.apiKey)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "llm: "+m.Model()+" unreachable")
	}
	defer resp.Body.Close()
	// The reply is read into a buffer kept for the next one: decoding
	// copies out every string it keeps.
	buf := replyPool.Get().(*bytes.Buffer)
	defer putReply(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxReply)); err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "llm: reading the reply")
	}
	data := buf.Bytes()
	if resp.StatusCode/100 != 2 {
		return mimo.Wrap(mimo.EUNAVAILABLE, fmt.Errorf("status %s: %s", resp.Status, snippet(data)), "llm: "+m.Model()+" failed")
	}
	if err := json.Unmarshal(data, out); err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, fmt.Errorf("%v: %s", err, snippet(data)), "llm: "+m.Model()+" answered malformed JSON")
	}
	return nil
}

// replyPool holds reply buffers for reuse; one larger than maxPooledReply
// is left to the collector rather than held.
var replyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledReply = 64 << 10

func putReply(b *bytes.Buffer) {
	if b.Cap() <= maxPooledReply {
		replyPool.Put(b)
	}
}

func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}
