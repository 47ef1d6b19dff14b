package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// serve runs the command until the test cancels it, and returns its base
// URL, its stderr, and a function that stops it and returns its status.
func serve(t *testing.T, args []string, environ map[string]string) (string, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	addrs := make(chan net.Addr, 1)
	codes := make(chan int, 1)
	go func() {
		codes <- run(ctx, args, env(environ), io.Discard, stderr, func(a net.Addr) { addrs <- a })
	}()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case code := <-codes:
		cancel()
		t.Fatalf("standin exited with %d: %s", code, stderr.String())
	}
	stopped := false
	stop := func() int {
		stopped = true
		cancel()
		return <-codes
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return base, stderr, stop
}

func TestServesBothProtocolsAndShutsDownCleanly(t *testing.T) {
	base, stderr, stop := serve(t, []string{"--addr", "127.0.0.1:0", "--dim", "24", "--log-level", "debug"}, nil)

	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "Ollama is running", string(b))

	resp, err = http.Post(base+"/v1/embeddings", "application/json", strings.NewReader(`{"model":"m","input":"x"}`))
	require.NoError(t, err)
	var out struct {
		Data []struct {
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	require.Len(t, out.Data, 1)
	assert.Len(t, out.Data[0].Embedding, 24, "--dim sets the dimension")

	assert.Equal(t, 0, stop())
	logs := stderr.String()
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		assert.True(t, json.Valid([]byte(line)), "log lines are JSON: %s", line)
	}
	assert.Contains(t, logs, `"msg":"listening"`)
	assert.Contains(t, logs, `"route":"/v1/embeddings"`, "debug logs each call")
	assert.Contains(t, logs, `"msg":"stopped"`)
}

func TestEnvironmentSetsDefaultsAndFlagsWin(t *testing.T) {
	base, _, _ := serve(t, []string{"--dim", "8"}, map[string]string{
		"STANDIN_ADDR": "127.0.0.1:0", "STANDIN_DIM": "16", "STANDIN_MODELS": "a, b:7b", "STANDIN_API_KEY": "k",
	})
	post := func(path, body, key string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		require.NoError(t, err)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := post("/api/embed", `{"model":"a","input":"x"}`, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	assert.Len(t, out.Embeddings[0], 8, "the flag wins over STANDIN_DIM")

	assert.Equal(t, http.StatusNotFound, post("/api/embed", `{"model":"c","input":"x"}`, "").StatusCode, "STANDIN_MODELS limits the models")
	assert.Equal(t, http.StatusUnauthorized, post("/v1/embeddings", `{"model":"b:7b","input":"x"}`, "").StatusCode)
	assert.Equal(t, http.StatusOK, post("/v1/embeddings", `{"model":"b:7b","input":"x"}`, "k").StatusCode)
}

func TestBadSettingsStopWithOneLine(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		environ map[string]string
		want    string
	}{
		{[]string{"--dim", "0"}, nil, "--dim"},
		{[]string{"--dim", "x"}, nil, "dim"},
		{[]string{"--log-level", "loud"}, nil, "--log-level"},
		{[]string{"--max-input-tokens", "-1"}, nil, "--max-input-tokens"},
		{[]string{"extra"}, nil, "unexpected argument"},
		{nil, map[string]string{"STANDIN_DIM": "many"}, "STANDIN_DIM"},
		{[]string{"--addr", "256.0.0.1:1"}, nil, "cannot listen"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), tc.args, env(tc.environ), io.Discard, &stderr, nil)
		assert.NotEqual(t, 0, code, "%v %v", tc.args, tc.environ)
		assert.Contains(t, stderr.String(), tc.want, "%v %v", tc.args, tc.environ)
	}
}

func TestHelp(t *testing.T) {
	var stdout bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"--help"}, env(nil), &stdout, io.Discard, nil))
	assert.Contains(t, stdout.String(), "Usage: standin")
	assert.Contains(t, stdout.String(), "STANDIN_ADDR")
}

func TestShutdownDoesNotWaitForDelayedCalls(t *testing.T) {
	base, stderr, stop := serve(t, []string{"--addr", "127.0.0.1:0"}, nil)
	resp, err := http.Post(base+"/_control/slow", "application/json", strings.NewReader(`{"delay_ms":600000}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	held := make(chan error, 1)
	go func() {
		resp, err := http.Post(base+"/api/embed", "application/json", strings.NewReader(`{"model":"m","input":"x"}`))
		if err == nil {
			resp.Body.Close()
		}
		held <- err
	}()
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/_control/counters")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var c struct {
			InFlight int `json:"in_flight"`
		}
		return json.NewDecoder(resp.Body).Decode(&c) == nil && c.InFlight == 1
	}, 10*time.Second, 5*time.Millisecond)

	assert.Equal(t, 0, stop())
	require.Error(t, <-held, "the held call is cut, not answered")
	assert.NotContains(t, stderr.String(), "shutdown incomplete", "shutdown finished within its grace period")
}
