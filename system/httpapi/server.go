// Package httpapi is Mimo's REST front door: JSON handlers over mimo.Service,
// the probes, /metrics, and the guard (API key and rate limit) in front of
// /api/* and /mcp. It decides how requests are decoded and how errors are
// shown; every business rule, validation of values included, is the
// Service's.
package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	mimo "mimo/system"
	"mimo/system/metrics"
)

// Defaults of Options.
const (
	DefaultRateLimit    = 1000    // requests per second per client
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
)

// Options configures New. Only Service is required; every other zero value
// is a safe default.
type Options struct {
	// Service answers every /api request. Required.
	Service mimo.Service
	// Logger receives the access log (debug level), recovered panics and
	// the causes of internal errors. Nil discards.
	Logger *slog.Logger
	// Metrics records mimo_http_requests_total and
	// mimo_http_request_duration_seconds. Nil means metrics.New on a
	// private registry.
	Metrics *metrics.Metrics
	// Gatherer is what GET /metrics exposes. Nil means Metrics.Gatherer;
	// if that is nil too, /metrics serves an empty exposition.
	Gatherer prometheus.Gatherer
	// APIKey, when not "", is required as "Authorization: Bearer KEY" on
	// /api/* and /mcp. The probes and /metrics stay open.
	APIKey string
	// RateLimit is the sustained rate, in requests per second, allowed to
	// one client on /api/* and /mcp: per API key when APIKey is set, else
	// per client IP. 0 means DefaultRateLimit; negative turns limiting off.
	RateLimit float64
	// RateBurst is how many requests a client may make at once. 0 means
	// twice RateLimit (at least 1).
	RateBurst int
	// MaxBodyBytes caps a request body; larger bodies are 413. 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Version is reported by GET /health.
	Version string
	// Ready is asked by GET /health/ready: nil error means ready. A nil
	// Ready means always ready.
	Ready func(context.Context) error
	// MCP, when not nil, is mounted at /mcp behind the guard.
	MCP http.Handler
	// Now is the clock for the rate limiter, uptime and durations. Nil
	// means time.Now.
	Now func() time.Time
}

// Server is the HTTP handler of the REST API. It is safe for concurrent use.
type Server struct {
	svc      mimo.Service
	log      *slog.Logger
	metrics  *metrics.Metrics
	gatherer prometheus.Gatherer
	keyHash  *[32]byte // SHA-256 of the API key; nil when auth is off
	limiter  *limiter  // nil when rate limiting is off
	maxBody  int64
	version  string
	ready    func(context.Context) error
	now      func() time.Time
	started  time.Time
	mux      *http.ServeMux
}

// New returns a Server for opts. It panics if opts.Service is nil, a wiring
// bug no request could recover from.
func New(opts Options) *Server {
	if opts.Service == nil {
		panic("httpapi: Options.Service is nil")
	}
	s := &Server{
		svc:     opts.Service,
		log:     opts.Logger,
		metrics: opts.Metrics,
		maxBody: opts.MaxBodyBytes,
		version: opts.Version,
		ready:   opts.Ready,
		now:     opts.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.metrics == nil {
		s.metrics = metrics.New(metrics.Options{Version: opts.Version})
	}
	s.gatherer = opts.Gatherer
	if s.gatherer == nil {
		s.gatherer = s.metrics.Gatherer
	}
	if s.gatherer == nil {
		s.gatherer = prometheus.Gatherers{}
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ready == nil {
		s.ready = func(context.Context) error { return nil }
	}
	if opts.APIKey != "" {
		h := hashKey(opts.APIKey)
		s.keyHash = &h
	}
	if opts.RateLimit >= 0 {
		rps := opts.RateLimit
		if rps == 0 {
			rps = DefaultRateLimit
		}
		burst := opts.RateBurst
		if burst <= 0 {
			burst = max(int(2*rps), 1)
		}
		s.limiter = newLimiter(rps, burst, s.now)
	}
	s.started = s.now()
	s.routes(opts.MCP)
	return s
}

func (s *Server) routes(mcpHandler http.Handler) {
	mux := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, s.guard(h))
	}
	api("POST /api/memories", s.handleStore)
	api("POST /api/memories/batch", s.handleStoreBatch)
	api("GET /api/memories", s.handleList)
	api("GET /api/memories/{id}", s.handleGet)
	api("PATCH /api/memories/{id}", s.handleUpdate)
	api("DELETE /api/memories/{id}", s.handleDelete)
	api("POST /api/search", s.handleSearch)
	api("POST /api/ask", s.handleAsk)
	if mcpHandler != nil {
		mux.Handle("/mcp", s.guard(mcpHandler))
	}

	mux.HandleFunc("GET /health", s.handleHealth)
	mux.HandleFunc("GET /health/live", s.handleLive)
	mux.HandleFunc("GET /health/ready", s.handleReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	s.mux = mux
}

// ServeHTTP serves r. Every request is counted, timed and logged, and a
// panic in any handler becomes a 500 JSON error instead of a dropped
// connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	sw := &statusWriter{ResponseWriter: w}
	_, pattern := s.mux.Handler(r)

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				"method", r.Method, "path", r.URL.Path, "panic", v, "stack", stack())
			if !sw.wroteHeader {
				s.writeError(sw, r, mimo.Errorf(mimo.EINTERNAL, "panic"))
			}
		}
		s.observe(r, sw, pattern, start)
	}()

	if pattern == "" {
		s.serveUnmatched(sw, r)
		return
	}
	if !s.readBody(sw, r) {
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// serveUnmatched answers a request no route matched: 405 with Allow when the
// path exists under another method, 404 otherwise, both as JSON. The mux
// decides which; its own plain-text answer is recorded and replaced.
func (s *Server) serveUnmatched(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		s.writeJSON(w, r, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{
			Code:    "method_not_allowed",
			Message: "method " + r.Method + " is not allowed on " + r.URL.Path,
		}})
	case http.StatusNotFound, 0:
		s.writeJSON(w, r, http.StatusNotFound, errorBody{Error: errorDetail{
			Code:    mimo.ENOTFOUND,
			Message: "no route " + r.Method + " " + r.URL.Path,
		}})
	default:
		// A redirect to the cleaned path; let the mux send it.
		s.mux.ServeHTTP(w, r)
	}
}

// routeLabel turns a mux pattern ("GET /api/memories/{id}") into the route
// label ("/api/memories/{id}"), so ids never become label values.
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return pattern
}

// methodLabel bounds the method label: any method a client invents is
// "other", so it cannot grow the number of series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions,
		http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}
