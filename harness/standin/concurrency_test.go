package standin_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/standin"
)

// Many clients at once, with faults being read and changed meanwhile: every
// call is counted exactly once, and an even-spread failure rate fails
// exactly its share of calls whatever their order.
func TestConcurrentCallsAreCountedExactly(t *testing.T) {
	s, ts := start(t, standin.Options{Dim: 32})
	require.NoError(t, s.SetFail(standin.Fail{Rate: 0.25, Routes: []string{standin.RouteOllamaEmbed}}))

	const workers, perWorker = 8, 20
	calls := []struct{ route, body string }{
		{"/api/embed", embedBody},
		{"/api/chat", chatBody},
		{"/v1/embeddings", openAIEmbBody},
		{"/v1/chat/completions", `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Context: The sky is blue."}]}`},
	}
	var mu sync.Mutex
	embedFailed := 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				c := calls[(w+i)%len(calls)]
				resp, err := http.Post(ts.URL+c.route, "application/json", strings.NewReader(c.body))
				if !assert.NoError(t, err) {
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				assert.NoError(t, err)
				if c.route == "/api/embed" && resp.StatusCode == http.StatusServiceUnavailable {
					mu.Lock()
					embedFailed++
					mu.Unlock()
				} else {
					assert.Equal(t, http.StatusOK, resp.StatusCode, c.route)
				}
			}
		})
	}
	// Meanwhile, a controller reads counters and toggles an unrelated fault.
	wg.Go(func() {
		for range 50 {
			_ = s.Counters()
			_ = s.Faults()
			assert.NoError(t, s.SetGarbage(standin.Garbage{Mode: standin.GarbageWrongDim, Routes: []string{standin.RouteOllamaTags}}))
			assert.NoError(t, s.SetSlow(standin.Slow{DelayMS: 1, Routes: []string{standin.RouteOllamaTags}}))
		}
	})
	wg.Wait()

	c := s.Counters()
	const total = workers * perWorker
	assert.Equal(t, int64(total), c.Total)
	for _, route := range []string{standin.RouteOllamaEmbed, standin.RouteOllamaChat, standin.RouteOpenAIEmbeddings, standin.RouteOpenAIChat} {
		assert.Equal(t, int64(total/len(calls)), c.Routes[route], route)
	}
	assert.Equal(t, total/len(calls)/4, embedFailed, "a quarter of the embed calls failed")
	assert.Equal(t, int64(embedFailed), c.Injected.Fail)
	assert.Equal(t, int64(0), c.InFlight)
	assert.Equal(t, int64(total/2), c.Models["nomic-embed-text"]+c.Models["llama3.2"])
}
