package standin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The Ollama wire types, as its API defines them. Only what the stand-in
// reads or writes is here; unknown request fields are ignored, as Ollama
// ignores them.

type ollamaEmbedRequest struct {
	Model      string          `json:"model"`
	Input      json.RawMessage `json:"input"`
	Truncate   *bool           `json:"truncate,omitempty"`
	Dimensions int             `json:"dimensions,omitempty"`
	Options    map[string]any  `json:"options,omitempty"`
	KeepAlive  json.RawMessage `json:"keep_alive,omitempty"`
}

type ollamaEmbedResponse struct {
	Model           string      `json:"model"`
	Embeddings      [][]float32 `json:"embeddings"`
	TotalDuration   int64       `json:"total_duration,omitempty"`
	LoadDuration    int64       `json:"load_duration,omitempty"`
	PromptEvalCount int         `json:"prompt_eval_count,omitempty"`
}

type ollamaEmbeddingsRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	Options   map[string]any  `json:"options,omitempty"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
}

type ollamaEmbeddingsResponse struct {
	Embedding []float32 `json:"embedding"`
}

type ollamaMessage struct {
	Role     string   `json:"role"`
	Content  string   `json:"content"`
	Thinking string   `json:"thinking,omitempty"`
	Images   []string `json:"images,omitempty"`
}

type ollamaChatRequest struct {
	Model     string          `json:"model"`
	Messages  []ollamaMessage `json:"messages"`
	Stream    *bool           `json:"stream,omitempty"`
	Format    json.RawMessage `json:"format,omitempty"`
	Options   map[string]any  `json:"options,omitempty"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
}

type ollamaChatResponse struct {
	Model              string        `json:"model"`
	CreatedAt          time.Time     `json:"created_at"`
	Message            ollamaMessage `json:"message"`
	DoneReason         string        `json:"done_reason,omitempty"`
	Done               bool          `json:"done"`
	TotalDuration      int64         `json:"total_duration,omitempty"`
	LoadDuration       int64         `json:"load_duration,omitempty"`
	PromptEvalCount    int           `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64         `json:"prompt_eval_duration,omitempty"`
	EvalCount          int           `json:"eval_count,omitempty"`
	EvalDuration       int64         `json:"eval_duration,omitempty"`
}

type ollamaTagsResponse struct {
	Models []ollamaModel `json:"models"`
}

type ollamaModel struct {
	Name       string             `json:"name"`
	Model      string             `json:"model"`
	ModifiedAt time.Time          `json:"modified_at"`
	Size       int64              `json:"size"`
	Digest     string             `json:"digest"`
	Details    ollamaModelDetails `json:"details"`
}

type ollamaModelDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

// modelsModified is when every listed model was "pulled": fixed, so the
// lists are deterministic.
var modelsModified = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// ollamaRoot answers GET / as Ollama does.
func (s *Server) ollamaRoot(w http.ResponseWriter, _ *http.Request, c *call) {
	c.send(w, contentText, []byte("Ollama is running"))
}

// ollamaTags answers GET /api/tags with the models served.
func (s *Server) ollamaTags(w http.ResponseWriter, _ *http.Request, c *call) {
	out := ollamaTagsResponse{Models: []ollamaModel{}}
	for _, name := range s.listed {
		tagged := name
		if !strings.Contains(name, ":") {
			tagged += ":latest"
		}
		sum := sha256.Sum256([]byte(tagged))
		out.Models = append(out.Models, ollamaModel{
			Name:       tagged,
			Model:      tagged,
			ModifiedAt: modelsModified,
			Size:       int64(sum[0])<<20 | int64(sum[1])<<12 | 1<<28,
			Digest:     hex.EncodeToString(sum[:]),
			Details: ollamaModelDetails{
				Format:            "gguf",
				Family:            "standin",
				Families:          []string{"standin"},
				ParameterSize:     "1B",
				QuantizationLevel: "F16",
			},
		})
	}
	c.reply(w, out)
}

// errMissingBody is Ollama's answer to a request without a body.
var errMissingBody = errors.New("missing request body")

// decodeOllama decodes an Ollama request body into v, with Ollama's
// messages for an empty body and bad JSON.
func decodeOllama(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return errMissingBody
	}
	return json.Unmarshal(body, v)
}

// checkModel answers the error for a missing or unknown model, and reports
// whether it did.
func (c *call) checkOllamaModel(w http.ResponseWriter, model string) bool {
	switch {
	case model == "":
		c.error(w, http.StatusBadRequest, "model is required")
		return true
	case !c.s.knownModel(model):
		c.error(w, http.StatusNotFound, fmt.Sprintf("model %q not found, try pulling it first", model))
		return true
	}
	return false
}

// ollamaEmbed answers POST /api/embed: one L2-normalised vector per input.
func (s *Server) ollamaEmbed(w http.ResponseWriter, _ *http.Request, c *call) {
	var req ollamaEmbedRequest
	if err := decodeOllama(c.body, &req); err != nil {
		c.error(w, http.StatusBadRequest, err.Error())
		return
	}
	inputs, ok := ollamaInputs(req.Input)
	if !ok {
		c.error(w, http.StatusBadRequest, "invalid input type")
		return
	}
	if c.checkOllamaModel(w, req.Model) {
		return
	}
	loaded := durationNS(c.start)
	dim := s.dim
	if req.Dimensions < 0 || req.Dimensions > MaxDim {
		c.error(w, http.StatusBadRequest, fmt.Sprintf("dimensions must be between 1 and %d", MaxDim))
		return
	}
	if req.Dimensions > 0 {
		dim = req.Dimensions
	}
	truncate := req.Truncate == nil || *req.Truncate
	tokens := 0
	for i, in := range inputs {
		cut, over := truncateTokens(in, s.maxTokens)
		if over && !truncate {
			c.error(w, http.StatusBadRequest, "input exceeds maximum context length")
			return
		}
		inputs[i] = cut
		tokens += countTokens(cut)
	}
	if c.garbage() == GarbageWrongDim {
		dim = wrongDim(dim)
	}
	out := ollamaEmbedResponse{Model: req.Model, Embeddings: make([][]float32, 0, len(inputs))}
	for _, in := range inputs {
		out.Embeddings = append(out.Embeddings, Embed(in, dim))
	}
	s.keepEmbedded(inputs...)
	if len(inputs) > 0 {
		// Ollama leaves the figures out when there was nothing to embed.
		out.TotalDuration = durationNS(c.start)
		out.LoadDuration = loaded
		out.PromptEvalCount = tokens
	}
	c.reply(w, out)
}

// ollamaInputs reads /api/embed's input: a string (the empty string and a
// missing input are no input) or an array of strings.
func ollamaInputs(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, true
		}
		return []string{one}, true
	}
	var many []*string
	if json.Unmarshal(raw, &many) != nil {
		return nil, false
	}
	out := make([]string, len(many))
	for i, p := range many {
		if p == nil {
			return nil, false
		}
		out[i] = *p
	}
	return out, true
}

// ollamaEmbeddings answers the legacy POST /api/embeddings: one vector for
// the prompt, an empty one for an empty prompt.
func (s *Server) ollamaEmbeddings(w http.ResponseWriter, _ *http.Request, c *call) {
	var req ollamaEmbeddingsRequest
	if err := decodeOllama(c.body, &req); err != nil {
		c.error(w, http.StatusBadRequest, err.Error())
		return
	}
	if c.checkOllamaModel(w, req.Model) {
		return
	}
	dim := s.dim
	if c.garbage() == GarbageWrongDim {
		dim = wrongDim(dim)
	}
	out := ollamaEmbeddingsResponse{Embedding: []float32{}}
	if req.Prompt != "" {
		prompt, _ := truncateTokens(req.Prompt, s.maxTokens)
		out.Embedding = Embed(prompt, dim)
		s.keepEmbedded(prompt)
	}
	c.reply(w, out)
}

// ollamaChat answers POST /api/chat: by default a stream of NDJSON chunks,
// one per word of the answer, then a closing chunk with "done":true; with
// "stream":false one object. options.num_predict caps the answer's words
// (done_reason "length"). No messages at all is Ollama's "load" answer.
func (s *Server) ollamaChat(w http.ResponseWriter, _ *http.Request, c *call) {
	var req ollamaChatRequest
	if err := decodeOllama(c.body, &req); err != nil {
		c.error(w, http.StatusBadRequest, err.Error())
		return
	}
	if c.checkOllamaModel(w, req.Model) {
		return
	}
	loaded := durationNS(c.start)
	if len(req.Messages) == 0 {
		c.reply(w, ollamaChatResponse{
			Model: req.Model, CreatedAt: s.now().UTC(), Done: true, DoneReason: "load",
			Message: ollamaMessage{Role: "assistant"},
		})
		return
	}
	limit, err := numPredict(req.Options)
	if err != nil {
		c.error(w, http.StatusBadRequest, err.Error())
		return
	}
	msgs := make([]Message, len(req.Messages))
	promptTokens := 0
	for i, m := range req.Messages {
		msgs[i] = Message{Role: m.Role, Content: m.Content}
		promptTokens += countTokens(m.Content)
	}
	pieces, reason := answerPieces(Answer(msgs), limit)
	promptDone := durationNS(c.start)

	final := ollamaChatResponse{
		Model:              req.Model,
		CreatedAt:          s.now().UTC(),
		Message:            ollamaMessage{Role: "assistant"},
		Done:               true,
		DoneReason:         reason,
		LoadDuration:       loaded,
		PromptEvalCount:    promptTokens,
		PromptEvalDuration: max(promptDone-loaded, 1),
		EvalCount:          len(pieces),
	}
	if req.Stream != nil && !*req.Stream {
		final.Message.Content = strings.Join(pieces, "")
		final.TotalDuration = durationNS(c.start)
		final.EvalDuration = max(final.TotalDuration-promptDone, 1)
		c.reply(w, final)
		return
	}
	payloads := make([][]byte, 0, len(pieces)+1)
	for _, p := range pieces {
		b, _ := json.Marshal(ollamaChatResponse{
			Model: req.Model, CreatedAt: s.now().UTC(),
			Message: ollamaMessage{Role: "assistant", Content: p},
		})
		payloads = append(payloads, b)
	}
	final.CreatedAt = s.now().UTC()
	final.TotalDuration = durationNS(c.start)
	final.EvalDuration = max(final.TotalDuration-promptDone, 1)
	b, _ := json.Marshal(final)
	payloads = append(payloads, b)
	c.stream(w, contentNDJSON, ndjsonFrame, payloads)
}

// numPredict reads options.num_predict: the most words to answer, 0 for no
// limit (Ollama's -1 and -2 mean no limit too).
func numPredict(options map[string]any) (int, error) {
	v, ok := options["num_predict"]
	if !ok || v == nil {
		return 0, nil
	}
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) {
		return 0, fmt.Errorf("option \"num_predict\" must be an integer")
	}
	if f < 0 {
		return 0, nil
	}
	return int(f), nil
}

// answerPieces splits an answer into the chunks a stream sends — each word
// with the spaces after it, so the chunks join to the answer — keeping at
// most limit of them (0: all), and says why the answer stopped.
func answerPieces(answer string, limit int) ([]string, string) {
	var pieces []string
	start := 0
	for i := 1; i < len(answer); i++ {
		if answer[i-1] == ' ' && answer[i] != ' ' {
			pieces = append(pieces, answer[start:i])
			start = i
		}
	}
	if start < len(answer) {
		pieces = append(pieces, answer[start:])
	}
	if limit > 0 && len(pieces) > limit {
		return pieces[:limit], "length"
	}
	return pieces, "stop"
}

// wrongDim is the vector length of wrong_dim garbage for dim.
func wrongDim(dim int) int {
	if dim < 2 {
		return 2
	}
	return dim / 2
}

// durationNS is the time since start in nanoseconds, at least 1 so the
// figure is never left out as zero.
func durationNS(start time.Time) int64 {
	return max(int64(time.Since(start)), 1)
}
