package memory

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"mimo/system"
	"mimo/system/breaker"
	"mimo/system/embed"
)

// DefaultQueryCacheEntries bounds the cache of query embeddings when
// Options.QueryCacheEntries is zero: at 768 floats a vector, about 3 MiB.
const DefaultQueryCacheEntries = 1024

// embedding is the service's side of its embedder: the circuit breaker
// around the provider, the cache of query vectors, the last failure for
// /health, and the state of background re-embedding (reembed.go).
//
// While the provider fails (or its circuit is open), a memory is stored
// without a vector, to be embedded later, and a search ranks by text only.
// Queries are not embedded by the built-in embedder meanwhile: its vectors
// are of another model than those in the index, and a cosine between
// vectors of two models measures nothing.
type embedding struct {
	// breaker guards the provider; nil for the built-in embedder, which
	// cannot fail (its component stays closed).
	breaker *breaker.Breaker
	// queries caches query vectors by query text, so repeated searches and
	// questions do not call the provider; nil when disabled.
	queries *lru.Cache[string, []float32]
	// failure is the message of the last failed call, "" after a success.
	failure atomic.Pointer[string]

	// Re-embedding (see reembed.go). wake starts a pass at once, soon
	// within the retry time; stale says a memory was stored without a
	// vector since the last pass.
	wake     chan struct{}
	soon     chan struct{}
	stale    atomic.Bool
	pending  atomic.Int64
	done     atomic.Int64
	running  atomic.Bool
	batch    int
	retry    time.Duration
	interval time.Duration
	// skipped are memories the provider refused alone (bad_request): not
	// retried by this process, which would call the provider in vain on
	// every pass; `mimo reindex` tries them again.
	skipMu  sync.Mutex
	skipped map[string]bool
}

// maxSkipped bounds the memories remembered as refused.
const maxSkipped = 10000

func newEmbedding(o Options, s *Service) *embedding {
	e := &embedding{wake: make(chan struct{}, 1), soon: make(chan struct{}, 1), batch: o.ReembedBatch, retry: o.ReembedRetry,
		interval: o.ReembedInterval, skipped: map[string]bool{}}
	if _, builtin := o.Embedder.(*embed.Builtin); !builtin {
		e.breaker = breaker.New(breaker.Options{Name: "embedder", Failures: o.BreakerFailures, Reset: o.BreakerReset, Metrics: s.metrics, Now: s.now})
	}
	n := o.QueryCacheEntries
	if n == 0 {
		n = DefaultQueryCacheEntries
	}
	if n > 0 {
		e.queries, _ = lru.New[string, []float32](n)
	}
	if e.batch <= 0 {
		e.batch = DefaultReembedBatch
	}
	if e.retry <= 0 {
		e.retry = DefaultReembedRetry
	}
	if e.interval <= 0 {
		e.interval = DefaultReembedInterval
	}
	empty := ""
	e.failure.Store(&empty)
	return e
}

// embedTexts embeds texts with the configured embedder, through its
// breaker, timed by provider. A call that returns the wrong number of
// vectors, or vectors of the wrong length, has failed. A failure because
// the caller's context ended is the caller's, not the provider's: it is
// not held against the provider's circuit.
func (s *Service) embedTexts(ctx context.Context, texts []string) ([][]float32, error) {
	var vecs [][]float32
	call := func() error {
		start := time.Now()
		v, err := s.embedder.Embed(ctx, texts)
		s.metrics.EmbeddingDuration.WithLabelValues(s.provider).Observe(time.Since(start).Seconds())
		if err == nil && len(v) != len(texts) {
			err = mimo.Errorf(mimo.EUNAVAILABLE, "the embedder returned %d vectors for %d texts", len(v), len(texts))
		}
		for i := 0; err == nil && i < len(v); i++ {
			if len(v[i]) != s.embedder.Dim() {
				err = mimo.Errorf(mimo.EUNAVAILABLE, "the embedder returned a vector of %d values, want %d", len(v[i]), s.embedder.Dim())
			}
		}
		vecs = v
		return err
	}
	var err error
	if s.emb.breaker == nil {
		err = call()
	} else {
		var callers error
		err = s.emb.breaker.Do(func() error {
			err := call()
			if err != nil && ctx.Err() != nil {
				callers = err
				return nil
			}
			return err
		})
		if callers != nil {
			err = callers
		}
	}
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, breaker.ErrOpen) {
			msg := failureMessage(err)
			s.emb.failure.Store(&msg)
		}
		return nil, mimo.Wrap(mimo.EUNAVAILABLE, err, "the embedder failed")
	}
	if f := s.emb.failure.Load(); f != nil && *f != "" {
		empty := ""
		s.emb.failure.Store(&empty)
	}
	if s.emb.stale.Load() {
		s.wakeReembed()
	}
	return vecs, nil
}

// failureMessage is how /health tells an embedder's failure: the
// provider's classified failure, else the error's message.
func failureMessage(err error) string {
	var f *embed.Failure
	var me *mimo.Error
	switch {
	case errors.As(err, &f):
		return f.Error()
	case errors.As(err, &me):
		return me.Message
	}
	return err.Error()
}

// embed gives each memory its vector. When the embedder fails, or its
// circuit is open, the memories keep a zero Embedding: they are stored
// without a vector, to be embedded by background re-embedding once the
// embedder is back, and the fallback is counted. Only a context that ended
// fails the call.
func (s *Service) embed(ctx context.Context, ms []*mimo.Memory) error {
	texts := make([]string, len(ms))
	for i, m := range ms {
		texts[i] = m.Content
	}
	vecs, err := s.embedTexts(ctx, texts)
	if err != nil {
		if ctx.Err() != nil {
			return mimo.Wrap(mimo.EUNAVAILABLE, ctx.Err(), "request cancelled or timed out while embedding")
		}
		s.embedderFallback(ctx, err, "embedder unavailable; storing without a vector, to be embedded once it is back", "memories", len(ms))
		for _, m := range ms {
			m.Embedding = mimo.Embedding{}
		}
		s.emb.stale.Store(true)
		return nil
	}
	for i, m := range ms {
		m.Embedding = mimo.Embedding{Vector: vecs[i], Model: s.embedder.Model(), Dim: len(vecs[i])}
	}
	return nil
}

// noteStored is told of each memory written: one without a vector has a
// background pass look for it soon. (Told after the write, not when the
// embedding failed, so that the pass finds the memory in the store.)
func (s *Service) noteStored(m *mimo.Memory) {
	if m != nil && len(m.Embedding.Vector) == 0 {
		s.reembedSoon()
	}
}

// queryVector returns the vector of a search's query, from the cache when
// it was embedded before, or nil when the embedder fails or its circuit is
// open (the fallback is counted; the search ranks by text only).
func (s *Service) queryVector(ctx context.Context, query string) []float32 {
	if s.emb.queries != nil {
		if v, ok := s.emb.queries.Get(query); ok {
			return v
		}
	}
	vecs, err := s.embedTexts(ctx, []string{query})
	if err != nil {
		s.embedderFallback(ctx, err, "query embedding failed; searching by words only")
		return nil
	}
	if s.emb.queries != nil {
		s.emb.queries.Add(query, vecs[0])
	}
	return vecs[0]
}

// embedderFallback counts and logs one fallback from the embedder: a
// refused call (circuit open) quietly, a failed call as a warning.
func (s *Service) embedderFallback(ctx context.Context, err error, msg string, args ...any) {
	if errors.Is(err, breaker.ErrOpen) {
		s.fallback(ctx, slog.LevelDebug, "embedder", "circuit_open", msg, args...)
		return
	}
	s.fallback(ctx, slog.LevelWarn, "embedder", "error", msg, append(args, "err", err)...)
}

// embedderHealth is the embedder's component of /health: closed and ok for
// the built-in embedder; for a provider, its circuit, and degraded with
// the last failure while calls fail or the circuit is not closed.
func (s *Service) embedderHealth() mimo.Component {
	c := mimo.Component{Status: mimo.StatusOK, Circuit: breaker.Closed.String()}
	if s.emb.breaker == nil {
		return c
	}
	state := s.emb.breaker.State()
	c.Circuit = state.String()
	if f := s.emb.failure.Load(); f != nil && *f != "" {
		c.Status, c.Error = mimo.StatusDegraded, *f
	} else if state != breaker.Closed {
		c.Status, c.Error = mimo.StatusDegraded, "the embedder's circuit is "+state.String()
	}
	return c
}
