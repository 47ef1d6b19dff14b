// Package standin is the provider stand-in of the validation harness: one
// HTTP handler that speaks the Ollama protocol (/api/embed, /api/embeddings,
// /api/chat, /api/tags, GET /) and the OpenAI protocol (/v1/embeddings,
// /v1/chat/completions, /v1/models) on the same port, as a real Ollama does,
// so Mimo can be pointed at it as its embedder and its LLM.
//
// Everything it answers is deterministic: embeddings come from hashed word
// features of the text (Embed), chat answers quote the context they were
// given (Answer). Under /_control/ it takes orders from tests: count calls,
// fail them, slow them, break their bodies (see Fail, Slow, Garbage and
// Control, the client of those endpoints); and it keeps the webhooks it is
// sent there (WebhookPath), such as Alertmanager's notifications, for a
// test to read back.
//
// The package does not import Mimo's own packages: it stands for a third
// party and must see Mimo only over the wire.
package standin

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultDim            = 768
	DefaultMaxInputTokens = 8192
	DefaultMaxBodyBytes   = 32 << 20 // 32 MiB
	DefaultEmbedModel     = "nomic-embed-text"
	DefaultChatModel      = "llama3.2"
)

// MaxDim is the largest dimension a request or Options may ask for.
const MaxDim = 65536

// Options configures New. The zero value is a stand-in that accepts any
// model name, answers 768-dimensional embeddings and logs nothing.
type Options struct {
	// Dim is the dimension of embeddings when a request does not ask for
	// one ("dimensions" in either protocol). 0 means DefaultDim; at most
	// MaxDim.
	Dim int
	// Models, when not empty, are the only model names served; any other
	// is 404 in the protocol's shape. A name without a tag and the same
	// name with ":latest" are one model. Empty means any name is accepted,
	// and the model lists show DefaultEmbedModel and DefaultChatModel.
	Models []string
	// MaxInputTokens is the context length, in words, of the embedding
	// models: a longer input is cut to it (Ollama's "truncate", default
	// true) or refused with 400. 0 means DefaultMaxInputTokens.
	MaxInputTokens int
	// MaxBodyBytes caps a request body; larger bodies are 413. 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// APIKey, when not "", is required as "Authorization: Bearer KEY" on
	// the OpenAI routes (/v1/...), as OpenAI does; else 401.
	APIKey string
	// Seed seeds the jitter of Slow faults. 0 means 1.
	Seed uint64
	// Logger receives one debug line per protocol call and an info line
	// per control order. Nil discards.
	Logger *slog.Logger
	// Now is the clock of timestamps in answers (created_at, created).
	// Nil means time.Now. Delays and durations use real time.
	Now func() time.Time
}

// Route names, the keys of Counters.Routes and the values of a fault's
// Routes. They are the request paths, with {model} for the path parameter.
const (
	RouteRoot             = "/"
	RouteOllamaEmbed      = "/api/embed"
	RouteOllamaEmbeddings = "/api/embeddings"
	RouteOllamaChat       = "/api/chat"
	RouteOllamaTags       = "/api/tags"
	RouteOpenAIEmbeddings = "/v1/embeddings"
	RouteOpenAIChat       = "/v1/chat/completions"
	RouteOpenAIModels     = "/v1/models"
	RouteOpenAIModel      = "/v1/models/{model}"
	// RouteUnmatched counts calls to any other path or method.
	RouteUnmatched = "unmatched"
)

// Routes returns the protocol routes, in a fixed order.
func Routes() []string {
	return []string{
		RouteRoot, RouteOllamaEmbed, RouteOllamaEmbeddings, RouteOllamaChat, RouteOllamaTags,
		RouteOpenAIEmbeddings, RouteOpenAIChat, RouteOpenAIModels, RouteOpenAIModel,
	}
}

// protocol says which error shape a route answers with.
type protocol int

const (
	ollama protocol = iota
	openAI
)

// route is one protocol route and its handler.
type route struct {
	pattern   string // the ServeMux pattern
	name      string // one of the Route constants
	proto     protocol
	embedding bool // answers vectors, so wrong_dim garbage applies
	handle    func(w http.ResponseWriter, r *http.Request, c *call)
}

// Server is the stand-in. It is an http.Handler, safe for concurrent use.
type Server struct {
	dim       int
	models    []string // normalised, nil when any name is accepted
	listed    []string // the names the model lists show
	maxTokens int
	maxBody   int64
	apiKey    []byte
	log       *slog.Logger
	now       func() time.Time

	mux     *http.ServeMux // protocol routes
	control *http.ServeMux // /_control/ routes

	inFlight atomic.Int64
	seq      atomic.Uint64 // numbers chat completion IDs

	mu       sync.Mutex // guards faults and counters
	faults   faultState
	counters counters

	webhookMu sync.Mutex
	webhooks  []json.RawMessage // bodies taken at WebhookPath, oldest first

	embeddedMu sync.Mutex
	embedded   []string // texts embedded, oldest first; see Embedded
}

// New returns a stand-in configured by o. It panics if o.Dim is negative or
// over MaxDim, a programming error.
func New(o Options) *Server {
	if o.Dim < 0 || o.Dim > MaxDim {
		panic("standin: Options.Dim out of range")
	}
	s := &Server{
		dim:       o.Dim,
		maxTokens: o.MaxInputTokens,
		maxBody:   o.MaxBodyBytes,
		log:       o.Logger,
		now:       o.Now,
		mux:       http.NewServeMux(),
		control:   http.NewServeMux(),
	}
	if s.dim == 0 {
		s.dim = DefaultDim
	}
	if s.maxTokens <= 0 {
		s.maxTokens = DefaultMaxInputTokens
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if o.APIKey != "" {
		s.apiKey = []byte(o.APIKey)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, m := range o.Models {
		if m = strings.TrimSpace(m); m != "" && !slices.Contains(s.listed, m) {
			s.listed = append(s.listed, m)
			s.models = append(s.models, normalModel(m))
		}
	}
	if len(s.listed) == 0 {
		s.listed = []string{DefaultEmbedModel, DefaultChatModel}
	}
	seed := o.Seed
	if seed == 0 {
		seed = 1
	}
	s.faults.jitter = newRand(seed)
	s.counters.reset()

	for _, rt := range []route{
		{pattern: "GET /{$}", name: RouteRoot, proto: ollama, handle: s.ollamaRoot},
		{pattern: "POST /api/embed", name: RouteOllamaEmbed, proto: ollama, embedding: true, handle: s.ollamaEmbed},
		{pattern: "POST /api/embeddings", name: RouteOllamaEmbeddings, proto: ollama, embedding: true, handle: s.ollamaEmbeddings},
		{pattern: "POST /api/chat", name: RouteOllamaChat, proto: ollama, handle: s.ollamaChat},
		{pattern: "GET /api/tags", name: RouteOllamaTags, proto: ollama, handle: s.ollamaTags},
		{pattern: "POST /v1/embeddings", name: RouteOpenAIEmbeddings, proto: openAI, embedding: true, handle: s.openAIEmbeddings},
		{pattern: "POST /v1/chat/completions", name: RouteOpenAIChat, proto: openAI, handle: s.openAIChat},
		{pattern: "GET /v1/models", name: RouteOpenAIModels, proto: openAI, handle: s.openAIModels},
		{pattern: "GET /v1/models/{model}", name: RouteOpenAIModel, proto: openAI, handle: s.openAIModel},
	} {
		s.mux.Handle(rt.pattern, s.serveRoute(rt))
	}
	s.registerControl()
	return s
}

// ServeHTTP answers protocol calls and, under /_control/, control orders.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.control.ServeHTTP(w, r)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// Not found or wrong method: counted, then answered by the mux.
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		s.count(RouteUnmatched, "")
		sw := &statusWriter{ResponseWriter: w}
		s.mux.ServeHTTP(sw, r)
		s.log.DebugContext(r.Context(), "call", "route", RouteUnmatched, "method", r.Method,
			"path", r.URL.Path, "status", sw.code())
		return
	}
	s.mux.ServeHTTP(w, r)
}

// call is one protocol call on its way through the faults to its handler.
type call struct {
	s         *Server
	route     string
	proto     protocol
	embedding bool
	model     string
	body      []byte
	start     time.Time // real time, for durations in answers

	garbageTaken bool
	garbageMode  string
	fault        string // the fault applied, for the log
}

// serveRoute wraps a route's handler: it counts the call, reads the body,
// applies the Slow and Fail faults, checks the API key, and hands over.
func (s *Server) serveRoute(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		c := &call{s: s, route: rt.name, proto: rt.proto, embedding: rt.embedding, start: time.Now()}
		sw := &statusWriter{ResponseWriter: w}
		// Deferred so that a call cut short (truncated_stream aborts the
		// handler with a panic) is logged too.
		defer func() {
			s.log.DebugContext(r.Context(), "call", "route", c.route, "method", r.Method,
				"model", c.model, "status", sw.code(), "fault", c.fault,
				"duration_ms", float64(time.Since(c.start).Microseconds())/1000)
		}()

		var bodyErr error
		if r.Method == http.MethodPost {
			c.body, bodyErr = readBody(sw, r, s.maxBody)
		}
		c.model = r.PathValue("model")
		if c.model == "" && bodyErr == nil {
			c.model = peekModel(c.body)
		}
		s.count(rt.name, c.model)

		if d, ok := s.takeSlow(rt.name); ok {
			c.fault = "slow"
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-r.Context().Done():
				// The client gave up or the server is shutting down: drop
				// the connection rather than send an answer nobody asked
				// for (returning would send an empty 200).
				c.fault = "slow, cut short"
				panic(http.ErrAbortHandler)
			case <-t.C:
			}
		}
		if f := s.takeFail(rt.name); f != nil {
			c.fault = "fail"
			if f.RetryAfter > 0 {
				sw.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			c.error(sw, f.Status, "injected failure: "+strconv.Itoa(f.Status)+" "+http.StatusText(f.Status))
			return
		}
		if bodyErr != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(bodyErr, &tooLarge) {
				c.error(sw, http.StatusRequestEntityTooLarge, "request body too large")
			} else {
				c.error(sw, http.StatusBadRequest, "cannot read request body: "+bodyErr.Error())
			}
			return
		}
		if rt.proto == openAI && !s.authorized(r) {
			c.errorWith(sw, http.StatusUnauthorized, "Incorrect API key provided.", "", "invalid_api_key")
			return
		}
		rt.handle(sw, r, c)
	})
}

// garbage returns the garbage mode for this call's successful answer ("" for
// none), deciding it once.
func (c *call) garbage() string {
	if !c.garbageTaken {
		c.garbageTaken = true
		c.garbageMode = c.s.takeGarbage(c.route, c.embedding)
		if c.garbageMode != "" {
			c.fault = "garbage " + c.garbageMode
		}
	}
	return c.garbageMode
}

// authorized reports whether r carries the API key, when one is required.
func (s *Server) authorized(r *http.Request) bool {
	if s.apiKey == nil {
		return true
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(key), s.apiKey) == 1
}

// readBody reads the whole body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// peekModel returns the "model" field of a JSON body, "" if there is none.
func peekModel(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	var v struct {
		Model any `json:"model"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	m, _ := v.Model.(string)
	return m
}

// normalModel is the name a model is known by: Ollama's "name" and
// "name:latest" are one model.
func normalModel(name string) string {
	return strings.TrimSuffix(strings.TrimSpace(name), ":latest")
}

// knownModel reports whether name is served.
func (s *Server) knownModel(name string) bool {
	return s.models == nil || slices.Contains(s.models, normalModel(name))
}

// statusWriter records the status of an answer for the log. It unwraps, so
// http.ResponseController reaches the flusher underneath.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the status sent, 0 when nothing was.
func (w *statusWriter) code() int { return w.status }
