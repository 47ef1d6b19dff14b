package standin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/standin"
)

func TestOllamaRootSaysRunning(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := get(t, ts.URL+"/")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "Ollama is running", string(r.Body))
	assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain"))

	h := do(t, http.MethodHead, ts.URL+"/", nil)
	assert.Equal(t, http.StatusOK, h.Status)
	assert.Empty(t, h.Body)
}

func TestOllamaEmbedAnswersOneUnitVectorPerInputOfDefaultDim(t *testing.T) {
	_, ts := start(t, standin.Options{})

	r := post(t, ts.URL+"/api/embed", map[string]any{"model": "nomic-embed-text", "input": "the cat sat on the mat"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	requireKeys(t, r.Body, "model", "embeddings", "total_duration", "load_duration", "prompt_eval_count")
	var one ollamaEmbedResponse
	strict(t, r.Body, &one)
	assert.Equal(t, "nomic-embed-text", one.Model)
	require.Len(t, one.Embeddings, 1)
	assert.Len(t, one.Embeddings[0], standin.DefaultDim)
	assert.InDelta(t, 1, norm(one.Embeddings[0]), 1e-5)
	assert.Equal(t, 6, one.PromptEvalCount, "tokens are words")
	assert.Positive(t, one.TotalDuration)
	assert.Equal(t, standin.Embed("the cat sat on the mat", standin.DefaultDim), one.Embeddings[0])

	r = post(t, ts.URL+"/api/embed", map[string]any{
		"model": "nomic-embed-text", "input": []string{"the cat sat on the mat", "stock prices fell", "x"},
		"truncate": true, "options": map[string]any{"temperature": 0}, "keep_alive": "5m",
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var many ollamaEmbedResponse
	strict(t, r.Body, &many)
	require.Len(t, many.Embeddings, 3)
	assert.Equal(t, one.Embeddings[0], many.Embeddings[0], "the same text embeds the same in a batch")
	for _, v := range many.Embeddings {
		assert.InDelta(t, 1, norm(v), 1e-5)
	}
	assert.Equal(t, 10, many.PromptEvalCount)
}

func TestOllamaEmbedHonoursDimAndDimensions(t *testing.T) {
	_, ts := start(t, standin.Options{Dim: 64})
	var out ollamaEmbedResponse
	strict(t, post(t, ts.URL+"/api/embed", map[string]any{"model": "m", "input": "hello"}).Body, &out)
	require.Len(t, out.Embeddings, 1)
	assert.Len(t, out.Embeddings[0], 64)

	strict(t, post(t, ts.URL+"/api/embed", map[string]any{"model": "m", "input": "hello", "dimensions": 16}).Body, &out)
	assert.Len(t, out.Embeddings[0], 16)
}

func TestOllamaEmbedWithoutInputAnswersNoEmbeddings(t *testing.T) {
	_, ts := start(t, standin.Options{})
	for _, body := range []string{`{"model":"m"}`, `{"model":"m","input":""}`, `{"model":"m","input":[]}`} {
		r := post(t, ts.URL+"/api/embed", body)
		require.Equal(t, http.StatusOK, r.Status, body)
		var out ollamaEmbedResponse
		strict(t, r.Body, &out)
		assert.NotNil(t, out.Embeddings, "%s: embeddings is [] not null", body)
		assert.Empty(t, out.Embeddings, body)
	}
}

func TestOllamaEmbedTruncatesOrRefusesLongInput(t *testing.T) {
	_, ts := start(t, standin.Options{MaxInputTokens: 3, Dim: 32})
	long := "alpha beta gamma delta epsilon"

	var out ollamaEmbedResponse
	r := post(t, ts.URL+"/api/embed", map[string]any{"model": "m", "input": long})
	require.Equal(t, http.StatusOK, r.Status)
	strict(t, r.Body, &out)
	assert.Equal(t, standin.Embed("alpha beta gamma", 32), out.Embeddings[0], "truncate defaults to true")
	assert.Equal(t, 3, out.PromptEvalCount)

	r = post(t, ts.URL+"/api/embed", map[string]any{"model": "m", "input": long, "truncate": false})
	require.Equal(t, http.StatusBadRequest, r.Status)
	var e ollamaErrorResponse
	strict(t, r.Body, &e)
	assert.Contains(t, e.Error, "context length")
}

func TestOllamaErrorsHaveOllamaShape(t *testing.T) {
	_, ts := start(t, standin.Options{Models: []string{"nomic-embed-text", "llama3.2:latest"}})
	for _, tc := range []struct {
		name, route, body string
		status            int
		message           string
	}{
		{"bad json", "/api/embed", `{"model":`, 400, ""},
		{"no body", "/api/embed", ``, 400, "missing request body"},
		{"no model", "/api/embed", `{"input":"x"}`, 400, "model is required"},
		{"bad input type", "/api/embed", `{"model":"nomic-embed-text","input":42}`, 400, "invalid input type"},
		{"bad input element", "/api/embed", `{"model":"nomic-embed-text","input":["a",1]}`, 400, "invalid input type"},
		{"unknown model", "/api/embed", `{"model":"other","input":"x"}`, 404, `model "other" not found`},
		{"negative dimensions", "/api/embed", `{"model":"nomic-embed-text","input":"x","dimensions":-1}`, 400, "dimensions"},
		{"legacy no model", "/api/embeddings", `{"prompt":"x"}`, 400, "model is required"},
		{"legacy unknown model", "/api/embeddings", `{"model":"other","prompt":"x"}`, 404, "not found"},
		{"chat bad json", "/api/chat", `[1,2]`, 400, ""},
		{"chat no model", "/api/chat", `{"messages":[]}`, 400, "model is required"},
		{"chat unknown model", "/api/chat", `{"model":"gpt","messages":[{"role":"user","content":"x"}]}`, 404, "not found"},
		{"chat bad num_predict", "/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"options":{"num_predict":"ten"}}`, 400, "num_predict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, ts.URL+tc.route, tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			var e ollamaErrorResponse
			strict(t, r.Body, &e)
			require.NotEmpty(t, e.Error)
			assert.Contains(t, e.Error, tc.message)
		})
	}

	// A name without a tag and the same name with ":latest" are one model.
	for _, m := range []string{"nomic-embed-text:latest", "llama3.2"} {
		r := post(t, ts.URL+"/api/embed", map[string]any{"model": m, "input": "x"})
		assert.Equal(t, http.StatusOK, r.Status, m)
	}
}

func TestOllamaLegacyEmbeddingsAnswersOneVector(t *testing.T) {
	_, ts := start(t, standin.Options{Dim: 48})
	r := post(t, ts.URL+"/api/embeddings", map[string]any{"model": "m", "prompt": "hello there", "keep_alive": 0})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	requireKeys(t, r.Body, "embedding")
	var out ollamaEmbeddingsResponse
	strict(t, r.Body, &out)
	assert.Equal(t, standin.Embed("hello there", 48), toFloat32(out.Embedding))

	r = post(t, ts.URL+"/api/embeddings", map[string]any{"model": "m", "prompt": ""})
	require.Equal(t, http.StatusOK, r.Status)
	strict(t, r.Body, &out)
	assert.NotNil(t, out.Embedding)
	assert.Empty(t, out.Embedding)
}

const memoryPrompt = "Answer the question from these memories.\nContext:\n- The staging database is Postgres 15 on db-2. It was upgraded in May.\n- Deploys happen on Tuesdays.\nQuestion: which database does staging run?"

const memoryAnswer = "Based on memory: The staging database is Postgres 15 on db-2."

func TestOllamaChatStreamsNDJSONByDefault(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	_, ts := start(t, standin.Options{Now: func() time.Time { return now }})
	r := post(t, ts.URL+"/api/chat", map[string]any{
		"model": "llama3.2",
		"messages": []map[string]any{
			{"role": "system", "content": "You answer from memory."},
			{"role": "user", "content": memoryPrompt},
		},
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "application/x-ndjson", r.Header.Get("Content-Type"))

	lines := ndjson(t, r.Body)
	require.Greater(t, len(lines), 2)
	var text strings.Builder
	for i, line := range lines[:len(lines)-1] {
		requireKeys(t, line, "model", "created_at", "message.role", "message.content", "done")
		var c ollamaChatResponse
		strict(t, line, &c)
		assert.False(t, c.Done, "chunk %d", i)
		assert.Equal(t, "llama3.2", c.Model)
		assert.Equal(t, "assistant", c.Message.Role)
		assert.True(t, c.CreatedAt.Equal(now))
		text.WriteString(c.Message.Content)
	}
	assert.Equal(t, memoryAnswer, text.String(), "the chunks join to the answer, which quotes the context")

	last := lines[len(lines)-1]
	requireKeys(t, last, "done", "done_reason", "total_duration", "load_duration", "prompt_eval_count", "eval_count", "eval_duration", "prompt_eval_duration")
	var final ollamaChatResponse
	strict(t, last, &final)
	assert.True(t, final.Done)
	assert.Equal(t, "stop", final.DoneReason)
	assert.Empty(t, final.Message.Content)
	assert.Equal(t, len(lines)-1, final.EvalCount, "one chunk per token")
	assert.Positive(t, final.PromptEvalCount)
	assert.Positive(t, final.TotalDuration)
}

func TestOllamaChatWithoutStreamAnswersOneObject(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := post(t, ts.URL+"/api/chat", map[string]any{
		"model": "llama3.2", "stream": false,
		"messages": []map[string]any{{"role": "user", "content": memoryPrompt}},
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	requireKeys(t, r.Body, "model", "created_at", "message.role", "message.content", "done", "done_reason", "total_duration", "load_duration", "eval_count")
	var out ollamaChatResponse
	strict(t, r.Body, &out)
	assert.True(t, out.Done)
	assert.Equal(t, "stop", out.DoneReason)
	assert.Equal(t, memoryAnswer, out.Message.Content)
}

func TestOllamaChatNumPredictCutsTheAnswer(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := post(t, ts.URL+"/api/chat", map[string]any{
		"model": "llama3.2", "stream": false, "options": map[string]any{"num_predict": 3},
		"messages": []map[string]any{{"role": "user", "content": memoryPrompt}},
	})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out ollamaChatResponse
	strict(t, r.Body, &out)
	assert.Equal(t, "length", out.DoneReason)
	assert.Equal(t, "Based on memory: ", out.Message.Content)
	assert.Equal(t, 3, out.EvalCount)
}

func TestOllamaChatWithoutMessagesLoadsTheModel(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := post(t, ts.URL+"/api/chat", map[string]any{"model": "llama3.2", "messages": []any{}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out ollamaChatResponse
	strict(t, r.Body, &out)
	assert.True(t, out.Done)
	assert.Equal(t, "load", out.DoneReason)
	assert.Equal(t, "assistant", out.Message.Role)
}

func TestOllamaTagsListsTheModels(t *testing.T) {
	_, ts := start(t, standin.Options{})
	r := get(t, ts.URL+"/api/tags")
	require.Equal(t, http.StatusOK, r.Status)
	requireKeys(t, r.Body, "models[0].name", "models[0].model", "models[0].modified_at", "models[0].size",
		"models[0].digest", "models[0].details.format", "models[0].details.family",
		"models[0].details.parameter_size", "models[0].details.quantization_level")
	var out ollamaListResponse
	strict(t, r.Body, &out)
	var names []string
	for _, m := range out.Models {
		names = append(names, m.Name)
		assert.Equal(t, m.Name, m.Model)
		assert.Len(t, m.Digest, 64)
		assert.Positive(t, m.Size)
	}
	assert.Equal(t, []string{standin.DefaultEmbedModel + ":latest", standin.DefaultChatModel + ":latest"}, names)

	_, ts = start(t, standin.Options{Models: []string{"all-minilm:l6-v2", "qwen3"}})
	strict(t, get(t, ts.URL+"/api/tags").Body, &out)
	require.Len(t, out.Models, 2)
	assert.Equal(t, "all-minilm:l6-v2", out.Models[0].Name)
	assert.Equal(t, "qwen3:latest", out.Models[1].Name)
}
