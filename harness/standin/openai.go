package standin

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The OpenAI wire types, as its API reference defines them. Unknown request
// fields are ignored, as most OpenAI-compatible servers do.

type openAIEmbeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format,omitempty"`
	Dimensions     *int            `json:"dimensions,omitempty"`
	User           string          `json:"user,omitempty"`
}

type openAIEmbeddingResponse struct {
	Object string            `json:"object"`
	Data   []openAIEmbedding `json:"data"`
	Model  string            `json:"model"`
	Usage  openAIUsage       `json:"usage"`
}

type openAIEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32, or a base64 string
}

type openAIUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens,omitempty"`
	TotalTokens      int `json:"total_tokens"`
}

type openAIChatRequest struct {
	Model               string              `json:"model"`
	Messages            []openAIChatMessage `json:"messages"`
	Stream              bool                `json:"stream,omitempty"`
	StreamOptions       *openAIStreamOpts   `json:"stream_options,omitempty"`
	MaxTokens           *int                `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int                `json:"max_completion_tokens,omitempty"`
	Temperature         *float64            `json:"temperature,omitempty"`
	TopP                *float64            `json:"top_p,omitempty"`
	N                   *int                `json:"n,omitempty"`
}

type openAIStreamOpts struct {
	IncludeUsage bool `json:"include_usage"`
}

type openAIChatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name,omitempty"`
}

type openAIChatResponse struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	Created           int64          `json:"created"`
	Model             string         `json:"model"`
	SystemFingerprint string         `json:"system_fingerprint"`
	Choices           []openAIChoice `json:"choices"`
	Usage             openAIUsage    `json:"usage"`
}

type openAIChoice struct {
	Index        int                 `json:"index"`
	Message      openAIAnswerMessage `json:"message"`
	Logprobs     *struct{}           `json:"logprobs"`
	FinishReason string              `json:"finish_reason"`
}

type openAIAnswerMessage struct {
	Role    string  `json:"role"`
	Content string  `json:"content"`
	Refusal *string `json:"refusal"`
}

type openAIChunk struct {
	ID                string              `json:"id"`
	Object            string              `json:"object"`
	Created           int64               `json:"created"`
	Model             string              `json:"model"`
	SystemFingerprint string              `json:"system_fingerprint"`
	Choices           []openAIChunkChoice `json:"choices"`
	Usage             *openAIUsage        `json:"usage,omitempty"`
}

type openAIChunkChoice struct {
	Index        int         `json:"index"`
	Delta        openAIDelta `json:"delta"`
	Logprobs     *struct{}   `json:"logprobs"`
	FinishReason *string     `json:"finish_reason"`
}

type openAIDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

type openAIModelList struct {
	Object string        `json:"object"`
	Data   []openAIModel `json:"data"`
}

type openAIModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// Limits OpenAI sets on requests.
const (
	maxEmbeddingInputs = 2048
	maxChoices         = 128
)

// systemFingerprint names the stand-in's "backend configuration".
const systemFingerprint = "fp_standin"

// chatRoles are the roles OpenAI accepts in messages.
var chatRoles = []string{"system", "developer", "user", "assistant", "tool", "function"}

// decodeOpenAI decodes an OpenAI request body into v and answers 400 if it
// cannot, reporting whether it did.
func (c *call) decodeOpenAI(w http.ResponseWriter, v any) bool {
	if len(bytes.TrimSpace(c.body)) == 0 || json.Unmarshal(c.body, v) != nil {
		c.error(w, http.StatusBadRequest, "We could not parse the JSON body of your request. "+
			"The OpenAI API expects a JSON payload.")
		return true
	}
	return false
}

// checkOpenAIModel answers the error for a missing or unknown model, and
// reports whether it did.
func (c *call) checkOpenAIModel(w http.ResponseWriter, model string) bool {
	switch {
	case model == "":
		c.error(w, http.StatusBadRequest, "you must provide a model parameter")
		return true
	case !c.s.knownModel(model):
		c.errorWith(w, http.StatusNotFound,
			fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model),
			"", "model_not_found")
		return true
	}
	return false
}

// openAIEmbeddings answers POST /v1/embeddings: one vector per input, as
// float arrays or, with "encoding_format":"base64", as base64 of their
// little-endian float32 bytes. "dimensions" overrides Options.Dim.
func (s *Server) openAIEmbeddings(w http.ResponseWriter, _ *http.Request, c *call) {
	var req openAIEmbeddingRequest
	if c.decodeOpenAI(w, &req) {
		return
	}
	if c.checkOpenAIModel(w, req.Model) {
		return
	}
	inputs, err := openAIInputs(req.Input)
	if err != nil {
		c.errorWith(w, http.StatusBadRequest, err.Error(), "input", "")
		return
	}
	format := req.EncodingFormat
	if format == "" {
		format = "float"
	}
	if format != "float" && format != "base64" {
		c.errorWith(w, http.StatusBadRequest,
			fmt.Sprintf("Invalid value: '%s'. Supported values are: 'float' and 'base64'.", format),
			"encoding_format", "invalid_value")
		return
	}
	dim := s.dim
	if req.Dimensions != nil {
		if *req.Dimensions < 1 || *req.Dimensions > MaxDim {
			c.errorWith(w, http.StatusBadRequest,
				fmt.Sprintf("Invalid value for 'dimensions': %d; want 1..%d.", *req.Dimensions, MaxDim),
				"dimensions", "invalid_value")
			return
		}
		dim = *req.Dimensions
	}
	tokens := 0
	for _, in := range inputs {
		n := countTokens(in)
		if n > s.maxTokens {
			c.errorWith(w, http.StatusBadRequest, fmt.Sprintf(
				"This model's maximum context length is %d tokens, however you requested %d tokens in your input. Please reduce your input.",
				s.maxTokens, n), "input", "")
			return
		}
		tokens += n
	}
	if c.garbage() == GarbageWrongDim {
		dim = wrongDim(dim)
	}
	out := openAIEmbeddingResponse{
		Object: "list", Model: req.Model, Data: make([]openAIEmbedding, len(inputs)),
		Usage: openAIUsage{PromptTokens: tokens, TotalTokens: tokens},
	}
	for i, in := range inputs {
		v := Embed(in, dim)
		var e any = v
		if format == "base64" {
			e = base64.StdEncoding.EncodeToString(encodeFloat32s(v))
		}
		out.Data[i] = openAIEmbedding{Object: "embedding", Index: i, Embedding: e}
	}
	s.keepEmbedded(inputs...)
	c.reply(w, out)
}

// openAIInputs reads /v1/embeddings' input: a non-empty string, an array
// of non-empty strings, an array of token IDs, or an array of such arrays.
// Token IDs become the words "tokN", so equal tokens embed alike.
func openAIInputs(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("'input' is a required property")
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, fmt.Errorf("'$.input' is invalid: the input must not be empty")
		}
		return []string{one}, nil
	}
	var many []*string
	if json.Unmarshal(raw, &many) == nil {
		return checkInputs(many)
	}
	var tokens []int64
	if json.Unmarshal(raw, &tokens) == nil {
		if len(tokens) == 0 {
			return nil, fmt.Errorf("'$.input' is invalid: the input must not be empty")
		}
		return []string{tokenText(tokens)}, nil
	}
	var tokenLists [][]int64
	if json.Unmarshal(raw, &tokenLists) == nil {
		texts := make([]*string, len(tokenLists))
		for i, t := range tokenLists {
			s := tokenText(t)
			texts[i] = &s
		}
		return checkInputs(texts)
	}
	return nil, fmt.Errorf("'$.input' is invalid: want a string, an array of strings or an array of token arrays")
}

func checkInputs(many []*string) ([]string, error) {
	if len(many) == 0 {
		return nil, fmt.Errorf("'$.input' is invalid: the input array must not be empty")
	}
	if len(many) > maxEmbeddingInputs {
		return nil, fmt.Errorf("'$.input' is invalid: at most %d inputs, got %d", maxEmbeddingInputs, len(many))
	}
	out := make([]string, len(many))
	for i, p := range many {
		if p == nil || *p == "" {
			return nil, fmt.Errorf("'$.input[%d]' is invalid: inputs must be non-empty strings", i)
		}
		out[i] = *p
	}
	return out, nil
}

func tokenText(tokens []int64) string {
	var b strings.Builder
	for i, t := range tokens {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("tok")
		b.WriteString(strconv.FormatInt(t, 10))
	}
	return b.String()
}

// encodeFloat32s packs v as little-endian float32s, OpenAI's base64 form.
func encodeFloat32s(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// openAIChat answers POST /v1/chat/completions: one chat.completion, or
// with "stream":true Server-Sent Events — a chunk with the role, one per
// word of the answer, one with the finish reason, a usage chunk when
// stream_options.include_usage is set, and "data: [DONE]". max_tokens (or
// max_completion_tokens) caps the answer's words (finish_reason "length");
// n asks for n identical choices.
func (s *Server) openAIChat(w http.ResponseWriter, _ *http.Request, c *call) {
	var req openAIChatRequest
	if c.decodeOpenAI(w, &req) {
		return
	}
	if c.checkOpenAIModel(w, req.Model) {
		return
	}
	if len(req.Messages) == 0 {
		c.errorWith(w, http.StatusBadRequest, "[] is too short - 'messages'", "messages", "")
		return
	}
	msgs := make([]Message, len(req.Messages))
	promptTokens := 0
	for i, m := range req.Messages {
		if !slices.Contains(chatRoles, m.Role) {
			c.errorWith(w, http.StatusBadRequest, fmt.Sprintf(
				"Invalid value: '%s'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool' and 'function'.", m.Role),
				fmt.Sprintf("messages[%d].role", i), "invalid_value")
			return
		}
		text, ok := messageText(m.Content)
		if !ok {
			c.errorWith(w, http.StatusBadRequest,
				"Invalid type for content: want a string or an array of content parts.",
				fmt.Sprintf("messages[%d].content", i), "invalid_type")
			return
		}
		msgs[i] = Message{Role: m.Role, Content: text}
		promptTokens += countTokens(text)
	}
	limit := 0
	for _, p := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if p.v == nil {
			continue
		}
		if *p.v < 1 {
			c.errorWith(w, http.StatusBadRequest,
				fmt.Sprintf("Invalid '%s': integer below minimum value. Expected a value >= 1, but got %d instead.", p.name, *p.v),
				p.name, "integer_below_min_value")
			return
		}
		limit = *p.v
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		c.errorWith(w, http.StatusBadRequest, fmt.Sprintf("Invalid 'temperature': %v; want 0..2.", *t),
			"temperature", "invalid_value")
		return
	}
	if p := req.TopP; p != nil && (*p < 0 || *p > 1) {
		c.errorWith(w, http.StatusBadRequest, fmt.Sprintf("Invalid 'top_p': %v; want 0..1.", *p),
			"top_p", "invalid_value")
		return
	}
	n := 1
	if req.N != nil {
		if *req.N < 1 || *req.N > maxChoices {
			c.errorWith(w, http.StatusBadRequest, fmt.Sprintf("Invalid 'n': %d; want 1..%d.", *req.N, maxChoices),
				"n", "invalid_value")
			return
		}
		n = *req.N
	}

	pieces, reason := answerPieces(Answer(msgs), limit)
	answer := strings.Join(pieces, "")
	id := "chatcmpl-standin-" + strconv.FormatUint(s.seq.Add(1), 10)
	created := s.now().Unix()
	usage := openAIUsage{PromptTokens: promptTokens, CompletionTokens: n * len(pieces)}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens

	if !req.Stream {
		out := openAIChatResponse{
			ID: id, Object: "chat.completion", Created: created, Model: req.Model,
			SystemFingerprint: systemFingerprint, Usage: usage,
		}
		for i := range n {
			out.Choices = append(out.Choices, openAIChoice{
				Index: i, FinishReason: reason,
				Message: openAIAnswerMessage{Role: "assistant", Content: answer},
			})
		}
		c.reply(w, out)
		return
	}

	chunk := func(choices []openAIChunkChoice, u *openAIUsage) []byte {
		b, _ := json.Marshal(openAIChunk{
			ID: id, Object: "chat.completion.chunk", Created: created, Model: req.Model,
			SystemFingerprint: systemFingerprint, Choices: choices, Usage: u,
		})
		return b
	}
	var payloads [][]byte
	for i := range n {
		empty := ""
		payloads = append(payloads, chunk([]openAIChunkChoice{{Index: i, Delta: openAIDelta{Role: "assistant", Content: &empty}}}, nil))
		for _, p := range pieces {
			payloads = append(payloads, chunk([]openAIChunkChoice{{Index: i, Delta: openAIDelta{Content: &p}}}, nil))
		}
		payloads = append(payloads, chunk([]openAIChunkChoice{{Index: i, FinishReason: &reason}}, nil))
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		payloads = append(payloads, chunk([]openAIChunkChoice{}, &usage))
	}
	payloads = append(payloads, []byte("[DONE]"))
	c.stream(w, contentSSE, sseFrame, payloads)
}

// messageText reads a message's content: a string, null, or an array of
// parts whose "text" parts are joined with newlines (other parts, such as
// images, carry no text). It reports false for any other JSON.
func messageText(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return "", false
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n"), true
}

// openAIModels answers GET /v1/models with the models served.
func (s *Server) openAIModels(w http.ResponseWriter, _ *http.Request, c *call) {
	out := openAIModelList{Object: "list", Data: []openAIModel{}}
	for _, name := range s.listed {
		out.Data = append(out.Data, modelObject(name))
	}
	c.reply(w, out)
}

// openAIModel answers GET /v1/models/{model}: the model, or 404 when a
// model list is configured and does not name it.
func (s *Server) openAIModel(w http.ResponseWriter, r *http.Request, c *call) {
	name := r.PathValue("model")
	if !s.knownModel(name) {
		c.errorWith(w, http.StatusNotFound,
			fmt.Sprintf("The model '%s' does not exist", name), "model", "model_not_found")
		return
	}
	c.reply(w, modelObject(name))
}

func modelObject(name string) openAIModel {
	return openAIModel{ID: name, Object: "model", Created: modelsModified.Unix(), OwnedBy: "standin"}
}
