package memory

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"mimo/system"
	"mimo/system/breaker"
	"mimo/system/embed"
)

// Defaults of background re-embedding (Options.ReembedBatch,
// ReembedRetry, ReembedInterval).
const (
	// DefaultReembedBatch is how many memories one pass embeds a call.
	DefaultReembedBatch = 64
	// DefaultReembedRetry is how long the loop waits after a pass that
	// failed, or while the embedder's circuit is open, before it looks
	// again: the loop never calls a provider that is down in a tight loop.
	DefaultReembedRetry = 5 * time.Second
	// DefaultReembedInterval is how long the loop waits after a pass that
	// finished, before it looks for memories stored without a vector by
	// this process or another sharing the store.
	DefaultReembedInterval = time.Minute
)

// ReembedOptions configures Reembed. Store and Embedder are required.
type ReembedOptions struct {
	Store    mimo.Store
	Embedder mimo.Embedder
	// MissingOnly embeds only the memories stored without a vector;
	// otherwise every memory whose vector is not the embedder's model and
	// dimension is embedded again.
	MissingOnly bool
	// BatchSize is how many memories one embedder call takes; zero means
	// DefaultReembedBatch.
	BatchSize int
	// Logger is told of each memory the embedder refuses; nil discards.
	Logger *slog.Logger
	// Progress, when set, is called after each batch with the memories
	// embedded so far and the number there were to do when the run began.
	Progress func(done, total int64)
}

// ReembedResult is what Reembed did. Skipped are memories the embedder
// refused on their own (a bad_request failure), left as they were.
type ReembedResult struct {
	Total, Done, Skipped int64
}

// Reembed gives every memory whose vector is not a vector of o.Embedder's
// model and dimension (with MissingOnly: every memory without a vector) a
// new one, in batches, in ID order, and returns what it did. It is
// restart-safe: the work list is the store itself, so a run that stopped
// (an error, a cancelled context, a killed process) is continued by the
// next, which finds only the memories still to do. A memory whose content
// changes meanwhile keeps the vector its update gave it. The first failure
// of the embedder, other than refusing single memories, stops the run
// with that error; a store's error too.
func Reembed(ctx context.Context, o ReembedOptions) (ReembedResult, error) {
	if o.Store == nil || o.Embedder == nil {
		return ReembedResult{}, errors.New("memory: Reembed needs Store and Embedder")
	}
	total, err := pendingCount(ctx, o.Store, o.Embedder, o.MissingOnly)
	if err != nil {
		return ReembedResult{}, err
	}
	res := ReembedResult{Total: total}
	run := reembedRun{
		store: o.Store, model: o.Embedder.Model(), dim: o.Embedder.Dim(), missingOnly: o.MissingOnly, batch: o.BatchSize,
		embed: func(ctx context.Context, texts []string) ([][]float32, error) {
			vecs, err := o.Embedder.Embed(ctx, texts)
			if err == nil && len(vecs) != len(texts) {
				err = mimo.Errorf(mimo.EUNAVAILABLE, "the embedder returned %d vectors for %d texts", len(vecs), len(texts))
			}
			return vecs, err
		},
		skip: func(string) bool { return false },
		onSkip: func(id string, err error) {
			res.Skipped++
			if o.Logger != nil {
				o.Logger.Warn("the embedder refused a memory; it keeps its old vector", "id", id, "err", err)
			}
		},
		progress: func(n int64) {
			res.Done += n
			if o.Progress != nil {
				o.Progress(res.Done, total)
			}
		},
	}
	err = run.run(ctx)
	return res, err
}

// pendingCount is how many memories a run has to do, from the store's
// count of models.
func pendingCount(ctx context.Context, st mimo.Store, e mimo.Embedder, missingOnly bool) (int64, error) {
	counts, err := st.EmbeddingModels(ctx, e.Model(), e.Dim())
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range counts {
		if missingOnly && c.Model == "" && c.Dim == 0 || !missingOnly && (c.Model != e.Model() || c.Dim != e.Dim()) {
			n += c.Memories
		}
	}
	return n, nil
}

// reembedRun is one pass over the memories to embed.
type reembedRun struct {
	store       mimo.Store
	embed       func(ctx context.Context, texts []string) ([][]float32, error)
	model       string
	dim         int
	missingOnly bool
	batch       int
	skip        func(id string) bool       // leave this memory alone
	onSkip      func(id string, err error) // the embedder refused this memory alone
	progress    func(n int64)              // n more memories embedded
}

func (r *reembedRun) run(ctx context.Context) error {
	if r.batch <= 0 {
		r.batch = DefaultReembedBatch
	}
	for after := ""; ; {
		ms, err := r.store.PendingEmbeddings(ctx, mimo.EmbeddingQuery{Model: r.model, Dim: r.dim, MissingOnly: r.missingOnly,
			After: after, Limit: r.batch})
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return nil
		}
		after = ms[len(ms)-1].ID
		var todo []*mimo.Memory
		for _, m := range ms {
			if !r.skip(m.ID) {
				todo = append(todo, m)
			}
		}
		updates, err := r.embedBatch(ctx, todo)
		if err != nil {
			return err
		}
		n, err := r.store.SetEmbeddings(ctx, updates)
		if err != nil {
			return err
		}
		r.progress(int64(n))
	}
}

// embedBatch embeds ms. When the embedder refuses the batch as a bad
// request, each memory is tried alone, so that one memory it cannot take
// does not hold up the others.
func (r *reembedRun) embedBatch(ctx context.Context, ms []*mimo.Memory) ([]mimo.EmbeddingUpdate, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	texts := make([]string, len(ms))
	for i, m := range ms {
		texts[i] = m.Content
	}
	vecs, err := r.embed(ctx, texts)
	if err != nil && refused(err) {
		if len(ms) == 1 {
			r.onSkip(ms[0].ID, err)
			return nil, nil
		}
		var out []mimo.EmbeddingUpdate
		for _, m := range ms {
			one, err := r.embedBatch(ctx, []*mimo.Memory{m})
			if err != nil {
				return nil, err
			}
			out = append(out, one...)
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]mimo.EmbeddingUpdate, len(ms))
	for i, m := range ms {
		out[i] = mimo.EmbeddingUpdate{Namespace: m.Namespace, ID: m.ID, ContentHash: m.ContentHash,
			Embedding: mimo.Embedding{Vector: vecs[i], Model: r.model, Dim: len(vecs[i])}}
	}
	return out, nil
}

// refused reports whether the embedder refused the input itself (rather
// than being down).
func refused(err error) bool {
	var f *embed.Failure
	return errors.As(err, &f) && f.Reason == embed.ReasonBadRequest
}

// wakeReembed starts a background pass now, unless one is due already.
func (s *Service) wakeReembed() {
	select {
	case s.emb.wake <- struct{}{}:
	default:
	}
}

// reembedSoon has a background pass look within the retry time.
func (s *Service) reembedSoon() {
	select {
	case s.emb.soon <- struct{}{}:
	default:
	}
}

// reembedLoop embeds, in the background, the memories stored without a
// vector while the embedder was failing: a pass at start-up, then one
// after every interval, one within the retry time after a memory is
// stored without a vector, and one at once when a call to the embedder
// succeeds after that. After a failed
// pass, or while the circuit is open, it makes no pass for the retry time,
// however often it is woken, and then looks again: it never calls a
// provider that is down in a tight loop. It stops when the service closes.
//
// Only memories without any vector are its work: one with another model's
// vector is left to `mimo reindex`, so that processes configured with two
// models (the old fleet while an operator reindexes for the new one) do not
// re-embed each other's memories back and forth.
func (s *Service) reembedLoop() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	next := time.Now()    // when the next pass is due
	var backoff time.Time // no pass before this, however often woken
	for {
		timer := time.NewTimer(time.Until(next))
		select {
		case <-s.done:
			timer.Stop()
			return
		case <-s.emb.wake:
			next = time.Now()
		case <-s.emb.soon:
			// A memory was just stored without a vector (its write may
			// not have committed yet): look within the retry time.
			next = minTime(next, time.Now().Add(s.emb.retry))
		case <-timer.C:
		}
		timer.Stop()
		if now := time.Now(); now.Before(next) || now.Before(backoff) {
			next = maxTime(next, backoff)
			continue
		}
		if s.emb.breaker != nil && s.emb.breaker.State() == breaker.Open {
			backoff = time.Now().Add(s.emb.retry)
			next = backoff
			continue
		}
		err := s.reembedPass(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Debug("re-embedding paused; trying again later", "err", err, "pending", s.emb.pending.Load(), "retry", s.emb.retry)
			backoff = time.Now().Add(s.emb.retry)
			next = backoff
		default:
			backoff, next = time.Time{}, time.Now().Add(s.emb.interval)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// reembedPass embeds every memory stored without a vector, once.
func (s *Service) reembedPass(ctx context.Context) error {
	s.emb.stale.Store(false)
	pending, err := pendingCount(ctx, s.store, s.embedder, true)
	if err != nil {
		return err
	}
	s.emb.pending.Store(pending)
	if pending == 0 {
		return nil
	}
	s.emb.running.Store(true)
	defer s.emb.running.Store(false)
	start := s.emb.done.Load()
	run := reembedRun{
		store: s.store, embed: s.embedTexts, model: s.embedder.Model(), dim: s.embedder.Dim(), missingOnly: true, batch: s.emb.batch,
		skip: func(id string) bool {
			s.emb.skipMu.Lock()
			defer s.emb.skipMu.Unlock()
			return s.emb.skipped[id]
		},
		onSkip: func(id string, err error) {
			s.log.Warn("the embedder refused a memory; it stays without a vector until `mimo reindex`", "id", id, "err", err)
			s.emb.skipMu.Lock()
			defer s.emb.skipMu.Unlock()
			if len(s.emb.skipped) < maxSkipped {
				s.emb.skipped[id] = true
			}
		},
		progress: func(n int64) {
			s.emb.done.Add(n)
			s.emb.pending.Add(-n)
		},
	}
	err = run.run(ctx)
	if done := s.emb.done.Load() - start; done > 0 {
		s.syncIndex(ctx)
		s.log.Info("re-embedded memories stored while the embedder was unavailable", "memories", done, "pending", s.emb.pending.Load())
	}
	return err
}

// reembedStatus is the progress /health reports.
func (s *Service) reembedStatus() *mimo.ReembedStatus {
	return &mimo.ReembedStatus{Pending: max(0, s.emb.pending.Load()), Done: s.emb.done.Load(), Running: s.emb.running.Load()}
}
