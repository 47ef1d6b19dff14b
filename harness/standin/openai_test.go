package standin_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/standin"
)

// floats decodes an OpenAI "embedding" field in float form.
func floats(t *testing.T, raw json.RawMessage) []float32 {
	t.Helper()
	var v []float32
	require.NoError(t, json.Unmarshal(raw, &v), "%s", raw)
	return v
}

func TestOpenAIEmbeddingsStringAndArrayInput(t *testing.T) {
	_, ts := start(t, standin.Options{Dim: 96})

	r := post(t, ts.URL+"/v1/embeddings", map[string]any{"model": "text-embedding-3-small", "input": "the quick brown fox"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	requireKeys(t, r.Body, "object", "data[0].object", "data[0].index", "data[0].embedding", "model", "usage.prompt_tokens", "usage.total_tokens")
	var one openAIEmbeddingResponse
	strict(t, r.Body, &one)
	assert.Equal(t, "list", one.Object)
	assert.Equal(t, "text-embedding-3-small", one.Model)
	require.Len(t, one.Data, 1)
	assert.Equal(t, "embedding", one.Data[0].Object)
	assert.Equal(t, standin.Embed("the quick brown fox", 96), floats(t, one.Data[0].Embedding))
	assert.Equal(t, 4, one.Usage.PromptTokens)
	assert.Equal(t, 4, one.Usage.TotalTokens)

	r = post(t, ts.URL+"/v1/embeddings", map[string]any{
		"model": "text-embedding-3-small", "input": []string{"a b", "the quick brown fox", "c"},
		"encoding_format": "float", "user": "u1",
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var many openAIEmbeddingResponse
	strict(t, r.Body, &many)
	require.Len(t, many.Data, 3)
	for i, d := range many.Data {
		assert.Equal(t, i, d.Index)
		assert.InDelta(t, 1, norm(floats(t, d.Embedding)), 1e-5)
	}
	assert.Equal(t, floats(t, one.Data[0].Embedding), floats(t, many.Data[1].Embedding))
	assert.Equal(t, 7, many.Usage.PromptTokens)
}

func TestOpenAIEmbeddingsTokenInput(t *testing.T) {
	_, ts := start(t, standin.Options{Dim: 16})
	var out openAIEmbeddingResponse
	r := post(t, ts.URL+"/v1/embeddings", `{"model":"m","input":[[1,2,3],[1,2,3],[9]]}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	strict(t, r.Body, &out)
	require.Len(t, out.Data, 3)
	assert.Equal(t, floats(t, out.Data[0].Embedding), floats(t, out.Data[1].Embedding))
	assert.NotEqual(t, floats(t, out.Data[0].Embedding), floats(t, out.Data[2].Embedding))
	assert.Equal(t, 7, out.Usage.PromptTokens)

	r = post(t, ts.URL+"/v1/embeddings", `{"model":"m","input":[5,6]}`)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	strict(t, r.Body, &out)
	assert.Len(t, out.Data, 1)
}

func TestOpenAIEmbeddingsBase64IsLittleEndianFloat32(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := post(t, ts.URL+"/v1/embeddings", map[string]any{
		"model": "m", "input": []string{"hello world", "goodbye"}, "encoding_format": "base64", "dimensions": 256,
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out openAIEmbeddingResponse
	strict(t, r.Body, &out)
	require.Len(t, out.Data, 2)
	for i, text := range []string{"hello world", "goodbye"} {
		var s string
		require.NoError(t, json.Unmarshal(out.Data[i].Embedding, &s), "base64 embeddings are strings")
		b, err := base64.StdEncoding.DecodeString(s)
		require.NoError(t, err)
		require.Len(t, b, 4*256)
		v := make([]float32, 256)
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
		assert.Equal(t, standin.Embed(text, 256), v)
	}
}

func TestOpenAIEmbeddingsDimensionsOverrideDim(t *testing.T) {
	_, ts := start(t, standin.Options{Dim: 768})
	var out openAIEmbeddingResponse
	strict(t, post(t, ts.URL+"/v1/embeddings", map[string]any{"model": "m", "input": "x", "dimensions": 12}).Body, &out)
	assert.Len(t, floats(t, out.Data[0].Embedding), 12)
	strict(t, post(t, ts.URL+"/v1/embeddings", map[string]any{"model": "m", "input": "x"}).Body, &out)
	assert.Len(t, floats(t, out.Data[0].Embedding), 768)
}

func TestOpenAIErrorsHaveOpenAIShape(t *testing.T) {
	_, ts := start(t, standin.Options{Models: []string{"text-embedding-3-small", "gpt-4o-mini"}, MaxInputTokens: 4})
	okChat := `"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]`
	for _, tc := range []struct {
		name, route, body string
		status            int
		typ, param, code  string
	}{
		{"bad json", "/v1/embeddings", `{"model":`, 400, "invalid_request_error", "", ""},
		{"no body", "/v1/embeddings", ``, 400, "invalid_request_error", "", ""},
		{"no model", "/v1/embeddings", `{"input":"x"}`, 400, "invalid_request_error", "", ""},
		{"unknown model", "/v1/embeddings", `{"model":"ada","input":"x"}`, 404, "invalid_request_error", "", "model_not_found"},
		{"no input", "/v1/embeddings", `{"model":"text-embedding-3-small"}`, 400, "invalid_request_error", "input", ""},
		{"empty input", "/v1/embeddings", `{"model":"text-embedding-3-small","input":""}`, 400, "invalid_request_error", "input", ""},
		{"empty array", "/v1/embeddings", `{"model":"text-embedding-3-small","input":[]}`, 400, "invalid_request_error", "input", ""},
		{"empty element", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a",""]}`, 400, "invalid_request_error", "input", ""},
		{"object input", "/v1/embeddings", `{"model":"text-embedding-3-small","input":{"a":1}}`, 400, "invalid_request_error", "input", ""},
		{"too long", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"a b c d e"}`, 400, "invalid_request_error", "input", ""},
		{"bad format", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","encoding_format":"int8"}`, 400, "invalid_request_error", "encoding_format", "invalid_value"},
		{"zero dimensions", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","dimensions":0}`, 400, "invalid_request_error", "dimensions", "invalid_value"},
		{"chat bad json", "/v1/chat/completions", `{`, 400, "invalid_request_error", "", ""},
		{"chat no model", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "", ""},
		{"chat unknown model", "/v1/chat/completions", `{"model":"gpt-5","messages":[{"role":"user","content":"x"}]}`, 404, "invalid_request_error", "", "model_not_found"},
		{"chat no messages", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[]}`, 400, "invalid_request_error", "messages", ""},
		{"chat bad role", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"robot","content":"x"}]}`, 400, "invalid_request_error", "messages[0].role", "invalid_value"},
		{"chat bad content", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":7}]}`, 400, "invalid_request_error", "messages[0].content", "invalid_type"},
		{"chat max_tokens", "/v1/chat/completions", `{` + okChat + `,"max_tokens":0}`, 400, "invalid_request_error", "max_tokens", "integer_below_min_value"},
		{"chat temperature", "/v1/chat/completions", `{` + okChat + `,"temperature":2.5}`, 400, "invalid_request_error", "temperature", "invalid_value"},
		{"chat top_p", "/v1/chat/completions", `{` + okChat + `,"top_p":-1}`, 400, "invalid_request_error", "top_p", "invalid_value"},
		{"chat n", "/v1/chat/completions", `{` + okChat + `,"n":0}`, 400, "invalid_request_error", "n", "invalid_value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, ts.URL+tc.route, tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			requireKeys(t, r.Body, "error.message", "error.type", "error.param", "error.code")
			var e openAIErrorResponse
			strict(t, r.Body, &e)
			assert.NotEmpty(t, e.Error.Message)
			assert.Equal(t, tc.typ, e.Error.Type)
			if tc.param == "" {
				assert.Nil(t, e.Error.Param)
			} else if assert.NotNil(t, e.Error.Param) {
				assert.Equal(t, tc.param, *e.Error.Param)
			}
			if tc.code == "" {
				assert.Nil(t, e.Error.Code)
			} else if assert.NotNil(t, e.Error.Code) {
				assert.Equal(t, tc.code, *e.Error.Code)
			}
		})
	}
}

func TestOpenAIAPIKeyIsRequiredWhenSet(t *testing.T) {
	_, ts := start(t, standin.Options{APIKey: "sk-test"})
	body := `{"model":"m","input":"x"}`

	r := post(t, ts.URL+"/v1/embeddings", body)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	var e openAIErrorResponse
	strict(t, r.Body, &e)
	require.NotNil(t, e.Error.Code)
	assert.Equal(t, "invalid_api_key", *e.Error.Code)

	for key, want := range map[string]int{"Bearer sk-test": 200, "Bearer sk-other": 401, "sk-test": 401} {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/embeddings", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, key)
	}
	// Ollama has no keys.
	assert.Equal(t, http.StatusOK, post(t, ts.URL+"/api/embed", body).Status)
}

func TestOpenAIChatCompletionQuotesTheContext(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	_, ts := start(t, standin.Options{Now: func() time.Time { return now }})
	r := post(t, ts.URL+"/v1/chat/completions", map[string]any{
		"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 200,
		"messages": []map[string]any{
			{"role": "system", "content": "You answer from memory."},
			{"role": "user", "content": memoryPrompt},
		},
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	requireKeys(t, r.Body, "id", "object", "created", "model", "choices[0].index", "choices[0].message.role",
		"choices[0].message.content", "choices[0].finish_reason", "usage.prompt_tokens", "usage.completion_tokens", "usage.total_tokens")
	var out openAIChatCompletion
	strict(t, r.Body, &out)
	assert.True(t, strings.HasPrefix(out.ID, "chatcmpl-"), out.ID)
	assert.Equal(t, "chat.completion", out.Object)
	assert.Equal(t, now.Unix(), out.Created)
	assert.Equal(t, "gpt-4o-mini", out.Model)
	require.Len(t, out.Choices, 1)
	c := out.Choices[0]
	assert.Equal(t, 0, c.Index)
	assert.Equal(t, "assistant", c.Message.Role)
	require.NotNil(t, c.Message.Content)
	assert.Equal(t, memoryAnswer, *c.Message.Content)
	assert.Equal(t, "stop", c.FinishReason)
	assert.Equal(t, 11, out.Usage.CompletionTokens, "one token per word of the answer")
	assert.Equal(t, out.Usage.PromptTokens+out.Usage.CompletionTokens, out.Usage.TotalTokens)

	second := post(t, ts.URL+"/v1/chat/completions", map[string]any{
		"model": "gpt-4o-mini", "messages": []map[string]any{{"role": "user", "content": memoryPrompt}},
	})
	var out2 openAIChatCompletion
	strict(t, second.Body, &out2)
	assert.NotEqual(t, out.ID, out2.ID, "every completion has its own id")
	assert.Equal(t, *c.Message.Content, *out2.Choices[0].Message.Content, "answers are deterministic")
}

func TestOpenAIChatContentPartsMaxTokensAndN(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := post(t, ts.URL+"/v1/chat/completions", map[string]any{
		"model": "m", "max_completion_tokens": 4, "n": 2,
		"messages": []map[string]any{{"role": "user", "content": []map[string]any{
			{"type": "text", "text": "Context: Water boils at 100 C. At sea level."},
			{"type": "image_url", "image_url": map[string]any{"url": "data:,"}},
		}}},
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out openAIChatCompletion
	strict(t, r.Body, &out)
	require.Len(t, out.Choices, 2)
	for i, c := range out.Choices {
		assert.Equal(t, i, c.Index)
		assert.Equal(t, "length", c.FinishReason)
		assert.Equal(t, "Based on memory: Water ", *c.Message.Content)
	}
	assert.Equal(t, 8, out.Usage.CompletionTokens, "n choices of 4 tokens")
}

func TestOpenAIChatStreamsServerSentEvents(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := post(t, ts.URL+"/v1/chat/completions", map[string]any{
		"model": "gpt-4o-mini", "stream": true, "stream_options": map[string]any{"include_usage": true},
		"messages": []map[string]any{{"role": "user", "content": memoryPrompt}},
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "text/event-stream", r.Header.Get("Content-Type"))

	events := sseData(t, r.Body)
	require.Greater(t, len(events), 4)
	assert.Equal(t, "[DONE]", events[len(events)-1], "the stream ends with [DONE]")

	var chunks []openAIChatChunk
	for _, ev := range events[:len(events)-1] {
		requireKeys(t, []byte(ev), "id", "object", "created", "model", "choices")
		var c openAIChatChunk
		strict(t, []byte(ev), &c)
		assert.Equal(t, "chat.completion.chunk", c.Object)
		assert.Equal(t, "gpt-4o-mini", c.Model)
		chunks = append(chunks, c)
	}
	id := chunks[0].ID
	for _, c := range chunks {
		assert.Equal(t, id, c.ID, "one id for the whole stream")
	}

	first := chunks[0]
	require.Len(t, first.Choices, 1)
	assert.Equal(t, "assistant", first.Choices[0].Delta.Role, "the first chunk carries the role")

	usage := chunks[len(chunks)-1]
	assert.Empty(t, usage.Choices, "the usage chunk has no choices")
	require.NotNil(t, usage.Usage)
	assert.Positive(t, usage.Usage.PromptTokens)

	finish := chunks[len(chunks)-2]
	require.Len(t, finish.Choices, 1)
	require.NotNil(t, finish.Choices[0].FinishReason)
	assert.Equal(t, "stop", *finish.Choices[0].FinishReason)

	var text strings.Builder
	for _, c := range chunks[:len(chunks)-2] {
		require.Len(t, c.Choices, 1)
		assert.Nil(t, c.Choices[0].FinishReason)
		assert.Nil(t, c.Usage)
		if c.Choices[0].Delta.Content != nil {
			text.WriteString(*c.Choices[0].Delta.Content)
		}
	}
	assert.Equal(t, memoryAnswer, text.String())
	assert.Equal(t, usage.Usage.CompletionTokens, len(chunks)-3, "one content chunk per token")
}

func TestOpenAIChatStreamWithoutUsage(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := post(t, ts.URL+"/v1/chat/completions", map[string]any{
		"model": "m", "stream": true, "messages": []map[string]any{{"role": "user", "content": "Hello."}},
	})
	events := sseData(t, r.Body)
	assert.Equal(t, "[DONE]", events[len(events)-1])
	var last openAIChatChunk
	strict(t, []byte(events[len(events)-2]), &last)
	require.Len(t, last.Choices, 1, "without include_usage the last chunk is the finish")
	assert.Equal(t, "stop", *last.Choices[0].FinishReason)
	assert.Nil(t, last.Usage)
}

func TestOpenAIModels(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := get(t, ts.URL+"/v1/models")
	require.Equal(t, http.StatusOK, r.Status)
	requireKeys(t, r.Body, "object", "data[0].id", "data[0].object", "data[0].created", "data[0].owned_by")
	var list openAIModelList
	strict(t, r.Body, &list)
	assert.Equal(t, "list", list.Object)
	require.Len(t, list.Data, 2)
	assert.Equal(t, standin.DefaultEmbedModel, list.Data[0].ID)
	assert.Equal(t, "model", list.Data[0].Object)

	var m openAIModel
	r = get(t, ts.URL+"/v1/models/anything")
	require.Equal(t, http.StatusOK, r.Status, "any model is served by default")
	strict(t, r.Body, &m)
	assert.Equal(t, "anything", m.ID)

	_, ts = start(t, standin.Options{Models: []string{"gpt-4o-mini"}})
	strict(t, get(t, ts.URL+"/v1/models").Body, &list)
	require.Len(t, list.Data, 1)
	assert.Equal(t, "gpt-4o-mini", list.Data[0].ID)
	assert.Equal(t, http.StatusOK, get(t, ts.URL+"/v1/models/gpt-4o-mini").Status)
	r = get(t, ts.URL+"/v1/models/gpt-5")
	require.Equal(t, http.StatusNotFound, r.Status)
	var e openAIErrorResponse
	strict(t, r.Body, &e)
	assert.Equal(t, "model_not_found", *e.Error.Code)
}

func TestTooLargeBodyIs413InEachShape(t *testing.T) {
	_, ts := start(t, standin.Options{MaxBodyBytes: 64})
	big := `{"model":"m","input":"` + strings.Repeat("word ", 100) + `"}`

	r := post(t, ts.URL+"/api/embed", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	var oe ollamaErrorResponse
	strict(t, r.Body, &oe)
	assert.NotEmpty(t, oe.Error)

	r = post(t, ts.URL+"/v1/embeddings", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	var ae openAIErrorResponse
	strict(t, r.Body, &ae)
	assert.Equal(t, "invalid_request_error", ae.Error.Type)
}
