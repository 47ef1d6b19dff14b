package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/httpapi"
	"mimo/system/internal/fakeclock"
	"mimo/system/metrics"
)

// call is one recorded Service call with its arguments.
type call struct {
	Method    string
	Namespace string
	ID        string
	Arg       any
}

// fakeService records every call and answers through its hooks; a nil hook
// gives a plausible success.
type fakeService struct {
	mu    sync.Mutex
	calls []call

	store  func(mimo.StoreRequest) (*mimo.StoreResult, error)
	batch  func([]mimo.StoreRequest) ([]mimo.BatchItemResult, error)
	get    func(ns, id string) (*mimo.Memory, error)
	update func(ns, id string, u mimo.UpdateRequest) (*mimo.Memory, error)
	del    func(ns, id string) error
	list   func(mimo.ListQuery) (*mimo.ListPage, error)
	search func(mimo.SearchQuery) (*mimo.SearchPage, error)
	health func() mimo.Health
}

var _ mimo.Service = (*fakeService)(nil)

func (f *fakeService) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// Calls returns a copy of the calls so far.
func (f *fakeService) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// only returns the one recorded call, failing the test if there is not
// exactly one.
func (f *fakeService) only(t *testing.T) call {
	t.Helper()
	calls := f.Calls()
	require.Len(t, calls, 1, "service calls")
	return calls[0]
}

func memoryFor(ns, id, content string) *mimo.Memory {
	if ns == "" {
		ns = mimo.DefaultNamespace
	}
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &mimo.Memory{
		ID: id, Namespace: ns, Content: content, Category: mimo.CategoryFact,
		Importance: 0.5, Tags: []string{}, Metadata: json.RawMessage(`{}`),
		CreatedAt: t, UpdatedAt: t,
	}
}

func (f *fakeService) Store(_ context.Context, r mimo.StoreRequest) (*mimo.StoreResult, error) {
	f.record(call{Method: "Store", Namespace: r.Namespace, Arg: r})
	if f.store != nil {
		return f.store(r)
	}
	return &mimo.StoreResult{Memory: memoryFor(r.Namespace, "m1", r.Content), Created: true}, nil
}

func (f *fakeService) StoreBatch(_ context.Context, rs []mimo.StoreRequest) ([]mimo.BatchItemResult, error) {
	f.record(call{Method: "StoreBatch", Arg: rs})
	if f.batch != nil {
		return f.batch(rs)
	}
	out := make([]mimo.BatchItemResult, len(rs))
	for i, r := range rs {
		out[i].Result = &mimo.StoreResult{Memory: memoryFor(r.Namespace, "b", r.Content), Created: true}
	}
	return out, nil
}

func (f *fakeService) Get(_ context.Context, ns, id string) (*mimo.Memory, error) {
	f.record(call{Method: "Get", Namespace: ns, ID: id})
	if f.get != nil {
		return f.get(ns, id)
	}
	return memoryFor(ns, id, "hello"), nil
}

func (f *fakeService) Update(_ context.Context, ns, id string, u mimo.UpdateRequest) (*mimo.Memory, error) {
	f.record(call{Method: "Update", Namespace: ns, ID: id, Arg: u})
	if f.update != nil {
		return f.update(ns, id, u)
	}
	m := memoryFor(ns, id, "hello")
	if u.Content != nil {
		m.Content = *u.Content
	}
	return m, nil
}

func (f *fakeService) Delete(_ context.Context, ns, id string) error {
	f.record(call{Method: "Delete", Namespace: ns, ID: id})
	if f.del != nil {
		return f.del(ns, id)
	}
	return nil
}

func (f *fakeService) List(_ context.Context, q mimo.ListQuery) (*mimo.ListPage, error) {
	f.record(call{Method: "List", Namespace: q.Namespace, Arg: q})
	if f.list != nil {
		return f.list(q)
	}
	return &mimo.ListPage{Memories: []*mimo.Memory{memoryFor(q.Namespace, "l1", "x")}, NextCursor: "next"}, nil
}

func (f *fakeService) Search(_ context.Context, q mimo.SearchQuery) (*mimo.SearchPage, error) {
	f.record(call{Method: "Search", Namespace: q.Namespace, Arg: q})
	if f.search != nil {
		return f.search(q)
	}
	return &mimo.SearchPage{
		Results: []mimo.SearchResult{{Memory: memoryFor(q.Namespace, "s1", "x"), Score: mimo.Scores{Vector: 0.9, Total: 0.7}}},
		Mode:    "hybrid",
	}, nil
}

func (f *fakeService) Health(context.Context) mimo.Health {
	f.record(call{Method: "Health"})
	if f.health != nil {
		return f.health()
	}
	return mimo.Health{
		Status: mimo.StatusOK,
		Components: map[string]mimo.Component{
			"db": {Status: "ok", Circuit: "closed"},
		},
		Memories: 3,
	}
}

func (f *fakeService) Ask(_ context.Context, r mimo.AskRequest) (*mimo.Answer, error) {
	f.record(call{Method: "Ask", Namespace: r.Namespace, Arg: r})
	return &mimo.Answer{
		Answer:  "The staging database is Postgres 15 [1].",
		Sources: []mimo.Source{{Kind: "memory", ID: "m1", Score: 0.9}},
		Route:   mimo.Route{Stores: []string{mimo.RouteMemories}, Confidence: 0.5},
	}, nil
}

func (f *fakeService) Stats(_ context.Context, ns string) (*mimo.Stats, error) {
	f.record(call{Method: "Stats", Namespace: ns})
	return &mimo.Stats{Namespace: ns, Memories: 3, Status: mimo.StatusOK}, nil
}

// newClock is a settable clock for the rate limiter and uptime.
func newClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// env is a running server over a fake service.
type env struct {
	t       *testing.T
	svc     *fakeService
	srv     *httptest.Server
	reg     *prometheus.Registry
	clock   *fakeclock.Clock
	logs    *syncBuffer
	metrics *metrics.Metrics
}

// syncBuffer is a log sink tests may read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// newEnv starts a server; opts' Service, Metrics, Logger and Now are filled
// in when unset. Rate limiting is off unless the test asks for it.
func newEnv(t *testing.T, opts httpapi.Options) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), logs: &syncBuffer{}, reg: prometheus.NewRegistry()}
	if opts.Service == nil {
		e.svc = &fakeService{}
		opts.Service = e.svc
	} else {
		e.svc, _ = opts.Service.(*fakeService)
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New(metrics.Options{Registerer: e.reg, Version: "test"})
	}
	e.metrics = opts.Metrics
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	e.srv = httptest.NewServer(httpapi.New(opts))
	t.Cleanup(e.srv.Close)
	return e
}

// response is what a test request got back.
type response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON object.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &v), "body: %s", r.Body)
	return v
}

// ErrorCode is the code of an error body, failing when it is not one.
func (r response) ErrorCode(t *testing.T) string {
	t.Helper()
	v := r.JSON(t)
	e, ok := v["error"].(map[string]any)
	require.True(t, ok, "not an error body: %s", r.Body)
	require.NotEmpty(t, e["message"], "error without message: %s", r.Body)
	code, _ := e["code"].(string)
	return code
}

func (e *env) do(method, path, body string, header ...string) response {
	return e.doBytes(method, path, []byte(body), header...)
}

// doBytes sends a request; header is alternating names and values.
func (e *env) doBytes(method, path string, body []byte, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{Code: resp.StatusCode, Header: resp.Header, Body: b}
}
