package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mimo/system/postgres/pgtest"
)

// backend is one store configuration the end-to-end tests run against.
type backend struct {
	name string
	env  func(t *testing.T) map[string]string
}

// backends returns SQLite and Postgres; Postgres skips (or, under CI, fails)
// when no test server is configured.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) map[string]string { return map[string]string{} }},
		{"postgres", func(t *testing.T) map[string]string {
			return map[string]string{"MIMO_DATABASE_URL": pgtest.URL(t)}
		}},
	}
}

// server is a Mimo started through Run, as `mimo serve` would be.
type server struct {
	URL     string
	DataDir string
	stderr  *syncBuffer
	cancel  context.CancelFunc
	done    chan int
}

// startServer runs `mimo serve` in-process on 127.0.0.1:0 with a temp data
// dir (unless env names one) and waits until it listens.
func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	vars := map[string]string{"MIMO_ADDR": "127.0.0.1:0", "MIMO_DATA_DIR": t.TempDir(), "MIMO_RATE_LIMIT": "off"}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{DataDir: vars["MIMO_DATA_DIR"], stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	addr := make(chan string, 1)
	go func() {
		s.done <- Run(ctx, []string{"serve"}, Env{
			Stdout: io.Discard, Stderr: s.stderr,
			Getenv:   func(k string) string { return vars[k] },
			OnListen: func(a string) { addr <- a },
		})
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case code := <-s.done:
		t.Fatalf("mimo serve exited with %d before listening:\n%s", code, s.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("mimo serve did not listen within 30s:\n%s", s.stderr.String())
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("mimo serve exited with %d:\n%s", code, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("mimo serve did not stop within 30s")
	}
}

// waitIndexed waits until the vector index has loaded (health no longer
// degraded by it), so searches are hybrid.
func (s *server) waitIndexed(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		code, body := call(t, "GET", s.URL+"/health", nil)
		if code != 200 {
			return false
		}
		comps, _ := body["components"].(map[string]any)
		idx, _ := comps["index"].(map[string]any)
		return idx["status"] == "ok"
	}, 30*time.Second, 20*time.Millisecond, "vector index never loaded")
}

// call sends body (marshalled unless it is a string or []byte) and decodes
// the JSON answer (nil when the body is empty).
func call(t *testing.T, method, url string, body any) (int, map[string]any) {
	t.Helper()
	code, raw := callRaw(t, method, url, body, nil)
	if len(raw) == 0 {
		return code, nil
	}
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "%s %s → %d, body not a JSON object: %s", method, url, code, raw)
	return code, out
}

func callRaw(t *testing.T, method, url string, body any, header http.Header) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// store stores content in namespace and returns the new memory's id.
func store(t *testing.T, base, ns, content string, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"namespace": ns, "content": content}
	for k, v := range extra {
		body[k] = v
	}
	code, out := call(t, "POST", base+"/api/memories", body)
	require.Contains(t, []int{200, 201}, code, "store: %v", out)
	return out["memory"].(map[string]any)["id"].(string)
}

// searchIDs returns the ids a search finds, best first.
func searchIDs(t *testing.T, base string, q map[string]any) []string {
	t.Helper()
	code, out := call(t, "POST", base+"/api/search", q)
	require.Equal(t, 200, code, "search: %v", out)
	var ids []string
	for _, r := range out["results"].([]any) {
		ids = append(ids, r.(map[string]any)["memory"].(map[string]any)["id"].(string))
	}
	return ids
}

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

// post sends a JSON body and reports transport errors instead of failing
// the test, for clients that expect the server to die under them.
func post(url string, body any) (int, []byte, error) {
	j, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(j))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}
