package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	mimo "mimo/system"
	"mimo/system/internal/httpkit"
)

// Provider names, as MIMO_EMBEDDER takes them and as the provider label of
// mimo_embedding_duration_seconds.
const (
	ProviderBuiltin = "builtin"
	ProviderOllama  = "ollama"
	ProviderOpenAI  = "openai"
)

// Defaults of RemoteOptions' zero values.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultBatchSize = 64

	DefaultOllamaURL   = "http://127.0.0.1:11434"
	DefaultOllamaModel = "nomic-embed-text"
	DefaultOllamaDim   = 768

	DefaultOpenAIURL   = "https://api.openai.com/v1"
	DefaultOpenAIModel = "text-embedding-3-small"
	DefaultOpenAIDim   = 1536
	// DefaultOpenAIMaxInputBytes is where the OpenAI-compatible embedder
	// cuts a text: such services refuse, rather than truncate, an input
	// over the model's context (8191 tokens for OpenAI's models), and 24 KiB
	// of text stays under it for English and most code. A memory may hold
	// 64 KiB; its first 24 KiB carry its meaning well enough.
	DefaultOpenAIMaxInputBytes = 24 << 10
)

// maxReply bounds an answer's body: 64 vectors of 3072 floats as JSON
// take about 4 MiB.
const maxReply = 64 << 20

// RemoteOptions configures NewOllama, NewOpenAI and NewRemote. Every zero
// value is the provider's default.
type RemoteOptions struct {
	// URL is the API's base; the embedder adds the path (/api/embed for
	// Ollama, /embeddings for OpenAI-compatible services, so their URL
	// includes /v1).
	URL string
	// Model names the service's model.
	Model string
	// Dim is the length every vector must have; an answer of another
	// length is a ReasonWrongDim failure.
	Dim int
	// APIKey is sent as a bearer token when set (OpenAI-compatible).
	APIKey string
	// Timeout bounds one call (one batch), connection included.
	Timeout time.Duration
	// BatchSize is the most texts one call carries; Embed splits larger
	// inputs.
	BatchSize int
	// MaxInputBytes cuts longer texts, at a character boundary, before
	// they are sent; zero means the provider's default (Ollama: no cut, it
	// truncates to the model's context itself; OpenAI-compatible:
	// DefaultOpenAIMaxInputBytes), negative never cuts.
	MaxInputBytes int
	// Client makes the requests; nil means a client with Timeout.
	Client *http.Client
}

// Remote is an embedding service reached over HTTP: Ollama or an
// OpenAI-compatible API. It implements mimo.Embedder: every call is bounded
// by the timeout, texts go in batches of BatchSize, and the vectors come
// back L2-normalised. Any failure is an EUNAVAILABLE *mimo.Error wrapping a
// *Failure that says why. A Remote is safe for concurrent use.
type Remote struct {
	provider, url, model, apiKey string
	dim, batch, maxInput         int
	timeout                      time.Duration
	client                       *http.Client
	// protocol sends one batch and returns the vectors as the service
	// answered them, or a *Failure.
	protocol func(ctx context.Context, texts []string) ([][]float32, error)
}

var _ mimo.Embedder = (*Remote)(nil)

// NewRemote returns the embedder of provider (ProviderOllama or
// ProviderOpenAI). An unknown provider, a URL that is not http(s) or a
// negative dimension is EINVALID.
func NewRemote(provider string, o RemoteOptions) (*Remote, error) {
	switch provider {
	case ProviderOllama:
		return NewOllama(o)
	case ProviderOpenAI:
		return NewOpenAI(o)
	}
	return nil, mimo.Errorf(mimo.EINVALID, "embed: unknown provider %q; use %s or %s", provider, ProviderOllama, ProviderOpenAI)
}

// newRemote fills o's zero values with the given defaults and checks it.
func newRemote(provider string, o RemoteOptions, defURL, defModel string, defDim, defMaxInput int) (*Remote, error) {
	r := &Remote{provider: provider, url: strings.TrimRight(o.URL, "/"), model: o.Model, apiKey: o.APIKey,
		dim: o.Dim, batch: o.BatchSize, maxInput: o.MaxInputBytes, timeout: o.Timeout, client: o.Client}
	if r.url == "" {
		r.url = defURL
	}
	if r.model == "" {
		r.model = defModel
	}
	if r.dim == 0 {
		r.dim = defDim
	}
	if r.batch <= 0 {
		r.batch = DefaultBatchSize
	}
	if r.maxInput == 0 {
		r.maxInput = defMaxInput
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if u, err := url.Parse(r.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, mimo.Errorf(mimo.EINVALID, "embed: %q is not an http(s) URL", r.url)
	}
	if r.dim < 0 {
		return nil, mimo.Errorf(mimo.EINVALID, "embed: dimension %d is negative", r.dim)
	}
	if r.client == nil {
		r.client = httpkit.Client(r.timeout)
	}
	return r, nil
}

// Model returns "<provider>/<model>", e.g. "ollama/nomic-embed-text": the
// name stored with every vector, so vectors of one model served by two
// kinds of service are never taken for each other's.
func (r *Remote) Model() string { return r.provider + "/" + r.model }

// Dim returns the configured vector length.
func (r *Remote) Dim() int { return r.dim }

// Provider returns ProviderOllama or ProviderOpenAI.
func (r *Remote) Provider() string { return r.provider }

// Embed returns one L2-normalised vector of Dim() floats per text, in
// order, calling the service once per BatchSize texts. Errors are
// EUNAVAILABLE and wrap a *Failure (or the context's error when ctx ended
// first); nothing is returned for a partly embedded input.
func (r *Remote) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for lo := 0; lo < len(texts); lo += r.batch {
		vecs, err := r.embedBatch(ctx, texts[lo:min(lo+r.batch, len(texts))])
		if err != nil {
			return nil, mimo.Wrap(mimo.EUNAVAILABLE, err, "the embedder "+r.Model()+" failed")
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (r *Remote) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	sent := make([]string, len(texts))
	for i, t := range texts {
		sent[i] = r.cut(t)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	vecs, err := r.protocol(ctx, sent)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(texts) {
		return nil, &Failure{Provider: r.provider, Reason: ReasonMalformed,
			Detail: fmt.Sprintf("%d vectors for %d texts", len(vecs), len(texts))}
	}
	for i, v := range vecs {
		if len(v) != r.dim {
			return nil, &Failure{Provider: r.provider, Reason: ReasonWrongDim,
				Detail: fmt.Sprintf("a vector of %d values, want %d (MIMO_EMBED_DIM)", len(v), r.dim)}
		}
		if !normalize(v) {
			return nil, &Failure{Provider: r.provider, Reason: ReasonMalformed, Detail: fmt.Sprintf("vector %d is not finite", i)}
		}
	}
	return vecs, nil
}

// cut prepares one text to send: an empty text becomes one space (the
// OpenAI protocol refuses empty input), and a text over maxInput bytes is
// cut at a character boundary.
func (r *Remote) cut(t string) string {
	if t == "" {
		return " "
	}
	if r.maxInput > 0 && len(t) > r.maxInput {
		n := r.maxInput
		for n > 0 && !utf8.RuneStart(t[n]) {
			n--
		}
		t = t[:n]
	}
	return t
}

// normalize scales v to unit length in place; the zero vector stays zero.
// It reports false for a vector with a NaN or infinite value.
func normalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return false
	}
	if sum == 0 {
		return true
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return true
}

// post sends body as JSON to path and decodes a 2xx answer into out. Every
// failure is a *Failure.
func (r *Remote) post(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return &Failure{Provider: r.provider, Reason: ReasonBadRequest, Detail: "encoding the request", Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+path, bytes.NewReader(b))
	if err != nil {
		return &Failure{Provider: r.provider, Reason: ReasonBadRequest, Detail: "bad URL", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if r.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.apiKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return transportFailure(r.provider, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return transportFailure(r.provider, err)
	}
	if resp.StatusCode/100 != 2 {
		return statusFailure(r.provider, resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		detail := "empty body"
		if len(bytes.TrimSpace(data)) > 0 {
			detail = fmt.Sprintf("%v: %s", err, snippet(data))
		}
		return &Failure{Provider: r.provider, Reason: ReasonMalformed, Status: resp.StatusCode, Detail: detail, Err: err}
	}
	return nil
}
