package standin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/standin"
)

// Request bodies that succeed on each route.
const (
	embedBody      = `{"model":"nomic-embed-text","input":"hello world"}`
	chatBody       = `{"model":"llama3.2","messages":[{"role":"user","content":"Context: The sky is blue. Question: colour?"}]}`
	openAIEmbBody  = `{"model":"text-embedding-3-small","input":"hello world"}`
	openAIChatBody = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Context: The sky is blue."}]}`
)

// order posts a control order and requires it accepted.
func order(t *testing.T, ts string, kind string, body any) {
	t.Helper()
	r := post(t, ts+"/_control/"+kind, body)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}

func counters(t *testing.T, ts string) standin.Counters {
	t.Helper()
	r := get(t, ts+"/_control/counters")
	require.Equal(t, http.StatusOK, r.Status)
	var c standin.Counters
	strict(t, r.Body, &c)
	return c
}

func faults(t *testing.T, ts string) standin.Faults {
	t.Helper()
	r := get(t, ts+"/_control/faults")
	require.Equal(t, http.StatusOK, r.Status)
	var f standin.Faults
	strict(t, r.Body, &f)
	return f
}

// statuses makes n calls and returns their statuses.
func statuses(t *testing.T, url, body string, n int) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = post(t, url, body).Status
	}
	return out
}

func TestFailAnswersItsStatusInEachProtocolsShape(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "fail", map[string]any{"status": 503})

	r := post(t, ts.URL+"/api/embed", embedBody)
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	var oe ollamaErrorResponse
	strict(t, r.Body, &oe)
	assert.Contains(t, oe.Error, "503")

	r = post(t, ts.URL+"/v1/chat/completions", openAIChatBody)
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	var ae openAIErrorResponse
	strict(t, r.Body, &ae)
	assert.Equal(t, "server_error", ae.Error.Type)

	assert.Equal(t, http.StatusServiceUnavailable, get(t, ts.URL+"/").Status, "every protocol route fails by default")
	assert.Equal(t, http.StatusServiceUnavailable, get(t, ts.URL+"/v1/models").Status)

	order(t, ts.URL, "fail", map[string]any{"status": 429, "retry_after": 7})
	r = post(t, ts.URL+"/v1/embeddings", openAIEmbBody)
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, "7", r.Header.Get("Retry-After"))
	strict(t, r.Body, &ae)
	assert.Equal(t, "requests", ae.Error.Type)
	require.NotNil(t, ae.Error.Code)
	assert.Equal(t, "rate_limit_exceeded", *ae.Error.Code)

	c := counters(t, ts.URL)
	assert.Equal(t, int64(5), c.Injected.Fail)
	assert.Equal(t, int64(5), c.Total, "failed calls are counted")
	assert.Equal(t, int64(1), c.Routes[standin.RouteOllamaEmbed])
	assert.Equal(t, int64(1), c.Models["nomic-embed-text"], "the model of a failed call is counted")
}

func TestFailRateSpreadsFailuresEvenly(t *testing.T) {
	_, ts := start(t, standin.Options{})
	const ok, bad = http.StatusOK, http.StatusServiceUnavailable

	order(t, ts.URL, "fail", map[string]any{"rate": 1.0 / 3})
	assert.Equal(t, []int{ok, ok, bad, ok, ok, bad, ok, ok, bad}, statuses(t, ts.URL+"/api/embed", embedBody, 9),
		"a rate of 1/N fails every Nth call")

	order(t, ts.URL, "fail", map[string]any{"rate": 0.3})
	assert.Equal(t, []int{ok, ok, ok, bad, ok, ok, bad, ok, ok, bad}, statuses(t, ts.URL+"/api/embed", embedBody, 10),
		"setting a fault starts its spread again")

	order(t, ts.URL, "fail", map[string]any{"rate": 0.1})
	got := statuses(t, ts.URL+"/api/embed", embedBody, 30)
	for i, s := range got {
		if (i+1)%10 == 0 {
			assert.Equal(t, bad, s, "call %d", i+1)
		} else {
			assert.Equal(t, ok, s, "call %d", i+1)
		}
	}
}

func TestFailWithSeedIsReproducible(t *testing.T) {
	run := func(seed uint64) []int {
		_, ts := start(t, standin.Options{})
		order(t, ts.URL, "fail", map[string]any{"rate": 0.5, "seed": seed, "status": 500})
		return statuses(t, ts.URL+"/api/embed", embedBody, 40)
	}
	a, b, other := run(42), run(42), run(7)
	assert.Equal(t, a, b, "the same seed fails the same calls")
	assert.NotEqual(t, a, other, "another seed fails other calls")
	failed := 0
	for _, s := range a {
		if s == http.StatusInternalServerError {
			failed++
		}
	}
	assert.Greater(t, failed, 5)
	assert.Less(t, failed, 35)
}

func TestFailCountClearsItself(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "fail", map[string]any{"status": 502, "count": 2})
	require.NotNil(t, faults(t, ts.URL).Fail)
	assert.Equal(t, []int{502, 502, 200, 200}, statuses(t, ts.URL+"/api/embed", embedBody, 4))
	assert.Nil(t, faults(t, ts.URL).Fail, "the fault is gone once its count is spent")
	assert.Equal(t, int64(2), counters(t, ts.URL).Injected.Fail)
}

func TestFailOnlyTheGivenRoutes(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "fail", map[string]any{"routes": []string{standin.RouteOllamaEmbed, standin.RouteOpenAIChat}})
	assert.Equal(t, http.StatusServiceUnavailable, post(t, ts.URL+"/api/embed", embedBody).Status)
	assert.Equal(t, http.StatusServiceUnavailable, post(t, ts.URL+"/v1/chat/completions", openAIChatBody).Status)
	assert.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embeddings", openAIEmbBody).Status)
	assert.Equal(t, http.StatusOK, post(t, ts.URL+"/api/chat", chatBody).Status)
	assert.Equal(t, http.StatusOK, get(t, ts.URL+"/").Status)
}

func TestFailComesBeforeRequestValidation(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "fail", nil)
	assert.Equal(t, http.StatusServiceUnavailable, post(t, ts.URL+"/api/embed", `not json`).Status,
		"a provider that is down fails whatever it is sent")
}

func TestControlRefusesBadOrders(t *testing.T) {
	_, ts := start(t, standin.Options{})
	for _, tc := range []struct{ kind, body string }{
		{"fail", `{"status":200}`},
		{"fail", `{"status":600}`},
		{"fail", `{"rate":1.5}`},
		{"fail", `{"rate":-0.1}`},
		{"fail", `{"count":-1}`},
		{"fail", `{"routes":["/api/nope"]}`},
		{"fail", `{"stauts":503}`},
		{"fail", `{"status":503} {"status":500}`},
		{"fail", `[`},
		{"slow", `{}`},
		{"slow", `{"delay_ms":-5}`},
		{"slow", `{"delay_ms":100,"routes":["/_control/counters"]}`},
		{"slow", `{"delay_ms":100000000}`},
		{"garbage", `{"mode":"noise"}`},
		{"garbage", `{}`},
		{"garbage", `{"mode":"empty","count":-2}`},
	} {
		r := post(t, ts.URL+"/_control/"+tc.kind, tc.body)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s %s", tc.kind, tc.body)
		var e ollamaErrorResponse
		strict(t, r.Body, &e)
		assert.NotEmpty(t, e.Error, "%s %s", tc.kind, tc.body)
	}
	assert.Equal(t, standin.Faults{}, faults(t, ts.URL), "a refused order changes nothing")
}

func TestSlowCallEndsWhenTheClientGivesUp(t *testing.T) {
	s, ts := start(t, standin.Options{})
	order(t, ts.URL, "slow", map[string]any{"delay_ms": 600_000, "routes": []string{standin.RouteOllamaEmbed}})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/api/embed", strings.NewReader(embedBody))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return s.Counters().InFlight == 1 }, 10*time.Second, time.Millisecond)

	// While that call is held, other routes answer.
	assert.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embeddings", openAIEmbBody).Status)
	select {
	case err := <-done:
		t.Fatalf("the delayed call finished early: %v", err)
	default:
	}

	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	require.Eventually(t, func() bool { return s.Counters().InFlight == 0 }, 10*time.Second, time.Millisecond,
		"the handler must return when its client goes, not after the delay")
	c := s.Counters()
	assert.Equal(t, int64(1), c.Injected.Slow)
	assert.Equal(t, int64(2), c.Total)
}

func TestSlowCallEndsWhenTheClientTimesOut(t *testing.T) {
	s, ts := start(t, standin.Options{})
	order(t, ts.URL, "slow", map[string]any{"delay_ms": 600_000})
	client := &http.Client{Timeout: 50 * time.Millisecond}
	_, err := client.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(openAIChatBody))
	require.Error(t, err)
	var ne interface{ Timeout() bool }
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "%v", err)
	require.Eventually(t, func() bool { return s.Counters().InFlight == 0 }, 10*time.Second, time.Millisecond,
		"the handler must return when its client goes, not after the delay")

	order(t, ts.URL, "clear", nil)
	assert.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/chat/completions", openAIChatBody).Status, "the server still answers")
}

func TestSlowThenAnswersAndCountClearsIt(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "slow", map[string]any{"delay_ms": 1, "jitter_ms": 2, "count": 2})
	for range 3 {
		r := post(t, ts.URL+"/api/embed", embedBody)
		require.Equal(t, http.StatusOK, r.Status)
		var out ollamaEmbedResponse
		strict(t, r.Body, &out)
	}
	assert.Equal(t, int64(2), counters(t, ts.URL).Injected.Slow)
	assert.Nil(t, faults(t, ts.URL).Slow)

	// Slow and fail together: the call is held, then fails.
	order(t, ts.URL, "slow", map[string]any{"delay_ms": 1})
	order(t, ts.URL, "fail", map[string]any{"status": 504})
	assert.Equal(t, http.StatusGatewayTimeout, post(t, ts.URL+"/api/embed", embedBody).Status)
	c := counters(t, ts.URL)
	assert.Equal(t, int64(3), c.Injected.Slow)
	assert.Equal(t, int64(1), c.Injected.Fail)
}

// rawPost makes a call and reads as much of the answer as arrives,
// returning the read error instead of failing on it.
func rawPost(t *testing.T, url, body string) (int, http.Header, []byte, error) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func TestGarbageMalformedJSON(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "garbage", map[string]any{"mode": "malformed_json"})

	for _, tc := range []struct{ route, body string }{
		{"/api/embed", embedBody}, {"/v1/embeddings", openAIEmbBody}, {"/api/embeddings", `{"model":"m","prompt":"x"}`},
		{"/v1/chat/completions", openAIChatBody},
		{"/api/chat", `{"model":"m","stream":false,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		r := post(t, ts.URL+tc.route, tc.body)
		require.Equal(t, http.StatusOK, r.Status, tc.route)
		assert.False(t, json.Valid(r.Body), "%s answered valid JSON: %s", tc.route, r.Body)
		assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"), tc.route)
	}

	lines := ndjson(t, post(t, ts.URL+"/api/chat", chatBody).Body)
	require.Greater(t, len(lines), 2)
	assert.False(t, json.Valid(lines[0]), "the first line of the stream is broken")
	for _, l := range lines[1:] {
		assert.True(t, json.Valid(l), "the rest is sound: %s", l)
	}

	events := sseData(t, post(t, ts.URL+"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi there."}]}`).Body)
	assert.False(t, json.Valid([]byte(events[0])))
	assert.Equal(t, "[DONE]", events[len(events)-1])

	// Errors are not garbled, and not counted as garbage.
	r := post(t, ts.URL+"/api/embed", `{"input":"x"}`)
	require.Equal(t, http.StatusBadRequest, r.Status)
	assert.True(t, json.Valid(r.Body))
	assert.Equal(t, int64(7), counters(t, ts.URL).Injected.Garbage)
}

func TestGarbageWrongDimOnlyChangesVectors(t *testing.T) {
	_, ts := start(t, standin.Options{Dim: 40})
	order(t, ts.URL, "garbage", map[string]any{"mode": "wrong_dim"})

	var oe ollamaEmbedResponse
	strict(t, post(t, ts.URL+"/api/embed", `{"model":"m","input":["a","b"]}`).Body, &oe)
	require.Len(t, oe.Embeddings, 2)
	assert.Len(t, oe.Embeddings[0], 20)
	assert.Len(t, oe.Embeddings[1], 20)

	var le ollamaEmbeddingsResponse
	strict(t, post(t, ts.URL+"/api/embeddings", `{"model":"m","prompt":"a"}`).Body, &le)
	assert.Len(t, le.Embedding, 20)

	var ae openAIEmbeddingResponse
	strict(t, post(t, ts.URL+"/v1/embeddings", `{"model":"m","input":"a","dimensions":10}`).Body, &ae)
	assert.Len(t, floats(t, ae.Data[0].Embedding), 5)
	strict(t, post(t, ts.URL+"/v1/embeddings", `{"model":"m","input":"a","dimensions":1}`).Body, &ae)
	assert.Len(t, floats(t, ae.Data[0].Embedding), 2)

	var chat openAIChatCompletion
	strict(t, post(t, ts.URL+"/v1/chat/completions", openAIChatBody).Body, &chat)
	assert.Equal(t, "Based on memory: The sky is blue.", *chat.Choices[0].Message.Content)
	assert.Equal(t, int64(4), counters(t, ts.URL).Injected.Garbage, "chat answers are not garbage in wrong_dim mode")
}

func TestGarbageEmpty(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "garbage", map[string]any{"mode": "empty", "routes": []string{"/api/embed", "/api/chat", "/v1/chat/completions"}})
	for _, tc := range []struct{ route, body string }{
		{"/api/embed", embedBody}, {"/api/chat", chatBody}, {"/v1/chat/completions", openAIChatBody},
		{"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`},
	} {
		status, _, body, err := rawPost(t, ts.URL+tc.route, tc.body)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status, tc.route)
		assert.Empty(t, body, tc.route)
	}
	assert.NotEmpty(t, post(t, ts.URL+"/v1/embeddings", openAIEmbBody).Body, "routes not named answer normally")
}

func TestGarbageTruncatedStreamCutsTheConnection(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "garbage", map[string]any{"mode": "truncated_stream"})

	status, _, body, err := rawPost(t, ts.URL+"/api/chat", chatBody)
	assert.Equal(t, http.StatusOK, status)
	require.Error(t, err, "the stream ends in an error")
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF"), "%v", err)
	lines := ndjson(t, body)
	require.NotEmpty(t, lines, "part of the stream arrives")
	for _, l := range lines {
		var c ollamaChatResponse
		strict(t, l, &c)
		assert.False(t, c.Done, "no closing chunk arrives")
	}

	status, _, body, err = rawPost(t, ts.URL+"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"Context: One two three four five six."}]}`)
	assert.Equal(t, http.StatusOK, status)
	require.Error(t, err)
	assert.NotContains(t, string(body), "[DONE]")
	assert.Contains(t, string(body), "data: {")

	status, _, body, err = rawPost(t, ts.URL+"/api/embed", embedBody)
	assert.Equal(t, http.StatusOK, status)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "a plain body stops short of its length")
	assert.NotEmpty(t, body)
	assert.False(t, json.Valid(body))
}

func TestGarbageCountClearsItself(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "garbage", map[string]any{"mode": "malformed_json", "count": 1})
	assert.False(t, json.Valid(post(t, ts.URL+"/api/embed", embedBody).Body))
	assert.True(t, json.Valid(post(t, ts.URL+"/api/embed", embedBody).Body))
	assert.Nil(t, faults(t, ts.URL).Garbage)
}

func TestClearRemovesEveryFault(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "fail", map[string]any{"status": 500, "routes": []string{"/api/embed"}})
	order(t, ts.URL, "slow", map[string]any{"delay_ms": 600_000, "routes": []string{"/v1/embeddings"}})
	order(t, ts.URL, "garbage", map[string]any{"mode": "empty", "routes": []string{"/api/chat"}})
	f := faults(t, ts.URL)
	require.NotNil(t, f.Fail)
	require.NotNil(t, f.Slow)
	require.NotNil(t, f.Garbage)
	assert.Equal(t, 500, f.Fail.Status)
	assert.InDelta(t, 1.0, f.Fail.Rate, 0, "the defaults are filled in")

	r := post(t, ts.URL+"/_control/clear", nil)
	require.Equal(t, http.StatusOK, r.Status)
	var after standin.Faults
	strict(t, r.Body, &after)
	assert.Equal(t, standin.Faults{}, after)

	assert.Equal(t, http.StatusOK, post(t, ts.URL+"/api/embed", embedBody).Status)
	assert.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embeddings", openAIEmbBody).Status)
	assert.True(t, json.Valid(ndjson(t, post(t, ts.URL+"/api/chat", chatBody).Body)[0]))
}

func TestCountersCountEveryCallAndResetZeroesThem(t *testing.T) {
	_, ts := start(t, standin.Options{Models: []string{"nomic-embed-text", "llama3.2", "gpt-4o-mini"}})
	post(t, ts.URL+"/api/embed", embedBody)
	post(t, ts.URL+"/api/embed", embedBody)
	post(t, ts.URL+"/api/embed", `{"model":"unknown","input":"x"}`) // 404
	post(t, ts.URL+"/api/embed", `{`)                               // 400, no model
	post(t, ts.URL+"/api/chat", chatBody)
	post(t, ts.URL+"/v1/chat/completions", openAIChatBody)
	get(t, ts.URL+"/v1/models/gpt-4o-mini")
	get(t, ts.URL+"/api/tags")
	get(t, ts.URL+"/")
	get(t, ts.URL+"/api/ps")                       // unmatched path
	do(t, http.MethodGet, ts.URL+"/api/chat", nil) // unmatched method
	get(t, ts.URL+"/_control/faults")              // control calls are not counted

	c := counters(t, ts.URL)
	assert.Equal(t, int64(11), c.Total)
	assert.Equal(t, map[string]int64{
		standin.RouteOllamaEmbed: 4, standin.RouteOllamaChat: 1, standin.RouteOpenAIChat: 1,
		standin.RouteOpenAIModel: 1, standin.RouteOllamaTags: 1, standin.RouteRoot: 1, standin.RouteUnmatched: 2,
	}, c.Routes)
	assert.Equal(t, map[string]int64{"nomic-embed-text": 2, "unknown": 1, "llama3.2": 1, "gpt-4o-mini": 2}, c.Models)
	assert.Equal(t, int64(0), c.InFlight)

	r := post(t, ts.URL+"/_control/reset", nil)
	require.Equal(t, http.StatusOK, r.Status)
	c = counters(t, ts.URL)
	assert.Equal(t, int64(0), c.Total)
	assert.Empty(t, c.Routes)
	assert.Empty(t, c.Models)
	assert.Equal(t, standin.Injected{}, c.Injected)
}

func TestResetKeepsFaultsButRestartsTheSpread(t *testing.T) {
	_, ts := start(t, standin.Options{})
	order(t, ts.URL, "fail", map[string]any{"rate": 0.5})
	assert.Equal(t, []int{200}, statuses(t, ts.URL+"/api/embed", embedBody, 1))
	order(t, ts.URL, "reset", nil)
	assert.Equal(t, []int{200, 503}, statuses(t, ts.URL+"/api/embed", embedBody, 2))
}

func TestControlClient(t *testing.T) {
	s, ts := start(t, standin.Options{})
	ctl := &standin.Control{BaseURL: ts.URL + "/"}
	ctx := context.Background()

	require.NoError(t, ctl.Fail(ctx, standin.Fail{Status: 500, Routes: []string{standin.RouteOpenAIEmbeddings}, Count: 1}))
	require.NoError(t, ctl.Slow(ctx, standin.Slow{DelayMS: 1, Routes: []string{standin.RouteOllamaTags}}))
	require.NoError(t, ctl.Garbage(ctx, standin.Garbage{Mode: standin.GarbageEmpty, Routes: []string{standin.RouteRoot}}))
	f, err := ctl.Faults(ctx)
	require.NoError(t, err)
	assert.Equal(t, s.Faults(), f)
	require.NotNil(t, f.Fail)
	assert.Equal(t, 500, f.Fail.Status)

	assert.Equal(t, http.StatusInternalServerError, post(t, ts.URL+"/v1/embeddings", openAIEmbBody).Status)
	assert.Empty(t, get(t, ts.URL+"/").Body)
	c, err := ctl.Counters(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), c.Total)
	assert.Equal(t, standin.Injected{Fail: 1, Garbage: 1}, c.Injected)

	err = ctl.Garbage(ctx, standin.Garbage{Mode: "noise"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `mode "noise"`, "the stand-in's reason is in the error")

	require.NoError(t, ctl.Clear(ctx))
	require.NoError(t, ctl.Reset(ctx))
	f, err = ctl.Faults(ctx)
	require.NoError(t, err)
	assert.Equal(t, standin.Faults{}, f)
	c, err = ctl.Counters(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(0), c.Total)

	bad := &standin.Control{BaseURL: ts.URL + "/nowhere"}
	assert.Error(t, bad.Reset(ctx))
}
