// Package memory is Mimo's service: the store, search and ask pipeline,
// the knowledge graph's rules, and the business rules of the memory model. REST (httpapi) and MCP
// (mcpserver) both call it, so they cannot disagree.
package memory

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/prometheus/client_golang/prometheus"

	"mimo/system"
	"mimo/system/breaker"
	"mimo/system/index"
	"mimo/system/internal/memorykit"
	"mimo/system/metrics"
	"mimo/system/spool"
)

// Options configure a Service. Store, Embedder, Index and Follower are
// required; everything else has a safe zero value.
type Options struct {
	Store    mimo.Store
	Embedder mimo.Embedder
	Index    *index.Index
	Follower *index.Follower
	// Graph keeps the knowledge graph. Nil means Store, when it implements
	// mimo.GraphStore (both of Mimo's stores do); otherwise the graph
	// methods answer EUNAVAILABLE.
	Graph mimo.GraphStore
	// LLM synthesises answers to Ask; nil means none (extractive answers,
	// marked degraded).
	LLM mimo.LLM
	// LLMTimeout bounds one synthesis; zero means DefaultLLMTimeout.
	LLMTimeout time.Duration
	// BreakerFailures and BreakerReset configure the circuit breakers of
	// the LLM and of the embedder (see package breaker; the built-in
	// embedder has none); zero means its defaults.
	BreakerFailures int
	BreakerReset    time.Duration
	// ClassifierEntries and ClassifierTTL bound the router's cache (and
	// the cache of the LLM's answers); zero means
	// DefaultClassifierEntries and DefaultClassifierTTL.
	ClassifierEntries int
	ClassifierTTL     time.Duration
	// QueryCacheEntries bounds the cache of query embeddings; zero means
	// DefaultQueryCacheEntries, negative disables it.
	QueryCacheEntries int
	// ReembedBatch, ReembedRetry and ReembedInterval shape background
	// re-embedding (see reembedLoop); zero means DefaultReembedBatch,
	// DefaultReembedRetry and DefaultReembedInterval.
	ReembedBatch    int
	ReembedRetry    time.Duration
	ReembedInterval time.Duration
	// Provider names the embedder's kind ("builtin", "ollama", "openai")
	// in metrics; "" means "builtin".
	Provider string
	Metrics  *metrics.Metrics // nil: metrics on a private registry
	Logger   *slog.Logger     // nil: discard
	Now      func() time.Time // nil: time.Now

	// Weights of the hybrid score; the zero value means DefaultWeights.
	Weights Weights
	// RecencyHalfLife is the age at which the recency component is 0.5;
	// zero means 30 days.
	RecencyHalfLife time.Duration
	// DuplicateThreshold is the cosine at or above which a new memory is
	// reported as a near-duplicate of one with the same category; zero
	// means 0.95.
	DuplicateThreshold float64
	// MinVectorScore is the cosine below which a memory that shares no
	// word with the query is not returned at all; zero means 0.1, which for
	// the built-in embedder is where unrelated texts fall.
	MinVectorScore float64
	// AccessFlushInterval is how often access counts from searches are
	// written; zero means one second.
	AccessFlushInterval time.Duration

	// Spool takes writes while the database fails (see outage.go); nil
	// means none: such writes fail with EUNAVAILABLE. The caller opens and
	// closes it.
	Spool *spool.Spool
	// ReadCacheBytes bounds the read cache of recent memories that answers
	// reads while the database fails; zero means DefaultReadCacheBytes,
	// negative disables the cache.
	ReadCacheBytes int64
	// DrainInterval is how often the drainer tries the database while the
	// spool holds writes; zero means DefaultDrainInterval.
	DrainInterval time.Duration
}

// Service implements mimo.Service.
type Service struct {
	store    mimo.Store
	embedder mimo.Embedder
	index    *index.Index
	follower *index.Follower
	graph    mimo.GraphStore
	llm      mimo.LLM
	// llmFailure is the message of the last synthesis's failure, "" after
	// a success; /health reports it.
	llmFailure atomic.Pointer[string]
	llmBreaker *breaker.Breaker // nil without an LLM
	// llmDuration is mimo_llm_duration_seconds for the LLM's provider,
	// resolved once rather than looked up by label on every answer.
	llmDuration prometheus.Observer
	router      *router
	emb         *embedding
	answers     *expirable.LRU[string, mimo.Answer]
	retrievals  *retrievals
	provider    string
	metrics     *metrics.Metrics
	log         *slog.Logger
	now         func() time.Time

	llmTimeout time.Duration
	weights    Weights
	halfLife   time.Duration
	dupCosine  float64
	minVector  float64

	outage

	access *accessRecorder
	done   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
}

var _ mimo.Service = (*Service)(nil)

// New returns a Service and starts its background work (access-count
// flushing, the memory-count gauge, re-embedding); Close stops it.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Embedder == nil || o.Index == nil || o.Follower == nil {
		return nil, errors.New("memory: Store, Embedder, Index and Follower are required")
	}
	s := &Service{
		store:      o.Store,
		embedder:   o.Embedder,
		index:      o.Index,
		follower:   o.Follower,
		graph:      o.Graph,
		llm:        o.LLM,
		llmTimeout: o.LLMTimeout,
		provider:   o.Provider,
		metrics:    o.Metrics,
		log:        o.Logger,
		now:        o.Now,
		weights:    o.Weights,
		halfLife:   o.RecencyHalfLife,
		dupCosine:  o.DuplicateThreshold,
		minVector:  o.MinVectorScore,
		done:       make(chan struct{}),
	}
	if s.graph == nil {
		s.graph, _ = o.Store.(mimo.GraphStore)
	}
	if s.metrics == nil {
		s.metrics = metrics.New(metrics.Options{})
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.router = newRouter(o.ClassifierEntries, o.ClassifierTTL, s.metrics)
	if s.llm != nil {
		// Labelled by provider ("openai" of "openai/gpt-4o-mini"): a
		// model name per series would grow without bound.
		provider, _, _ := strings.Cut(s.llm.Model(), "/")
		s.llmDuration = s.metrics.LLMDuration.WithLabelValues(provider)
		s.llmBreaker = breaker.New(breaker.Options{Name: "llm", Failures: o.BreakerFailures, Reset: o.BreakerReset, Metrics: s.metrics, Now: s.now})
	}
	s.answers = expirable.NewLRU[string, mimo.Answer](s.router.maxEntries, nil, s.router.ttl)
	s.retrievals = newRetrievals(s.router.maxEntries, s.router.ttl)
	if s.llmTimeout <= 0 {
		s.llmTimeout = DefaultLLMTimeout
	}
	if s.provider == "" {
		s.provider = "builtin"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.weights == (Weights{}) {
		s.weights = DefaultWeights
	}
	if s.halfLife <= 0 {
		s.halfLife = 30 * 24 * time.Hour
	}
	if s.minVector <= 0 {
		s.minVector = 0.1
	}
	if s.dupCosine <= 0 {
		s.dupCosine = 0.95
	}
	flush := o.AccessFlushInterval
	if flush <= 0 {
		flush = time.Second
	}
	s.initOutage(o)
	s.access = newAccessRecorder(s.store, s.log)
	s.emb = newEmbedding(o, s)
	s.wg.Add(2)
	go s.background(flush)
	go s.reembedLoop()
	return s, nil
}

// Close stops background work and writes pending access counts.
func (s *Service) Close() error {
	s.closed.Do(func() { close(s.done) })
	s.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.access.flush(ctx, s.now())
	return nil
}

func (s *Service) background(flush time.Duration) {
	defer s.wg.Done()
	tick := time.NewTicker(flush)
	defer tick.Stop()
	var lastCount time.Time
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			s.access.flush(ctx, s.now())
			if time.Since(lastCount) >= 10*time.Second {
				lastCount = time.Now()
				if n, err := s.store.CountMemories(ctx, "*"); err == nil {
					s.metrics.Memories.Set(float64(n))
				}
			}
			cancel()
		}
	}
}

// Store implements mimo.Service.
func (s *Service) Store(ctx context.Context, r mimo.StoreRequest) (*mimo.StoreResult, error) {
	m, err := s.prepare(r)
	if err != nil {
		return nil, err
	}
	if err := s.embed(ctx, []*mimo.Memory{m}); err != nil {
		return nil, err
	}
	if s.queueWrites() {
		// Queued: the database is not waited on, not even to catch the
		// index up; the near-duplicate check uses the index as it is.
		return s.queueStore(ctx, m, s.nearDuplicate(m), nil)
	}
	// The index's catch-up with the change log and the insert are two
	// independent round trips: made at once, a store waits for the
	// slower, not for both (on a slow database, one latency less). A
	// memory that supersedes another catches up first, so the one it
	// supersedes is still indexed for the near-duplicate check.
	synced := make(chan struct{})
	if m.Supersedes != "" {
		s.syncIndex(ctx)
		close(synced)
	} else {
		// Not cut short when the call ends early: a catch-up that is
		// under way is finished for the next caller.
		sctx := context.WithoutCancel(ctx)
		go func() {
			defer close(synced)
			s.syncIndex(sctx)
		}()
	}
	stored, created, err := s.store.CreateMemory(ctx, m)
	if s.queueable(ctx, err) {
		// The database failed: queued at once, without waiting for a
		// catch-up that is likely failing too.
		return s.queueStore(ctx, m, s.nearDuplicate(m), err)
	}
	<-synced
	if err != nil {
		return nil, err
	}
	dup := s.nearDuplicate(m)
	s.cached(stored)
	res := &mimo.StoreResult{Memory: stored, Created: created}
	if created {
		s.indexMemory(stored)
		res.DuplicateOf = dup
		if m.Supersedes != "" {
			s.syncIndex(ctx)
		}
	}
	s.decorate(stored)
	return res, nil
}

// StoreBatch implements mimo.Service.
func (s *Service) StoreBatch(ctx context.Context, rs []mimo.StoreRequest) ([]mimo.BatchItemResult, error) {
	if len(rs) == 0 {
		return nil, mimo.Errorf(mimo.EINVALID, "memories: at least one memory is required")
	}
	if len(rs) > mimo.MaxBatch {
		return nil, mimo.Errorf(mimo.EINVALID, "memories: at most %d per batch", mimo.MaxBatch)
	}
	out := make([]mimo.BatchItemResult, len(rs))
	var valid []*mimo.Memory
	var pos []int
	for i, r := range rs {
		m, err := s.prepare(r)
		if err != nil {
			out[i].Err = err
			continue
		}
		valid = append(valid, m)
		pos = append(pos, i)
	}
	if len(valid) == 0 {
		return out, nil
	}
	if err := s.embed(ctx, valid); err != nil {
		return nil, err
	}
	queue := s.queueWrites()
	if !queue {
		s.syncIndex(ctx) // not when queued: see Store
	}
	dups := s.nearDuplicates(valid)
	if queue {
		return s.queueBatch(ctx, out, valid, pos, dups, nil)
	}
	results, err := s.store.CreateMemories(ctx, valid)
	if s.queueable(ctx, err) {
		return s.queueBatch(ctx, out, valid, pos, dups, err)
	}
	if err != nil {
		return nil, err
	}
	for i, r := range results {
		if r.Err != nil {
			out[pos[i]].Err = r.Err
			continue
		}
		s.cached(r.Memory)
		res := &mimo.StoreResult{Memory: r.Memory, Created: r.Created}
		if r.Created {
			s.indexMemory(r.Memory)
			res.DuplicateOf = dups[i]
		}
		s.decorate(r.Memory)
		out[pos[i]].Result = res
	}
	s.syncIndex(ctx)
	return out, nil
}

// prepare validates a request and builds the memory to store, without its
// embedding.
func (s *Service) prepare(r mimo.StoreRequest) (*mimo.Memory, error) {
	ns, err := normalizeNamespace(r.Namespace)
	if err != nil {
		return nil, err
	}
	if err := validateContent("content", r.Content); err != nil {
		return nil, err
	}
	cat, err := normalizeCategory(r.Category)
	if err != nil {
		return nil, err
	}
	imp := mimo.DefaultImportance
	if r.Importance != nil {
		if err := validateImportance(*r.Importance); err != nil {
			return nil, err
		}
		imp = *r.Importance
	}
	tags, err := normalizeTags(r.Tags)
	if err != nil {
		return nil, err
	}
	meta, err := mimo.CompactMetadata(r.Metadata)
	if err != nil {
		return nil, err
	}
	if r.Supersedes != "" {
		if err := validateID("supersedes", r.Supersedes); err != nil {
			return nil, err
		}
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "cannot make an id")
	}
	now := micro(s.now())
	return &mimo.Memory{
		ID:          id.String(),
		Namespace:   ns,
		Content:     r.Content,
		Category:    cat,
		Importance:  imp,
		Tags:        tags,
		Metadata:    json.RawMessage(meta),
		CreatedAt:   now,
		UpdatedAt:   now,
		Supersedes:  r.Supersedes,
		ContentHash: memorykit.ContentHash(r.Content),
	}, nil
}

// nearDuplicate returns the id of another memory of the same namespace
// and category whose vector is within the duplicate threshold, or "". The
// caller syncs the index first, once for a whole batch; m itself, which
// a catch-up made alongside its insert may have indexed, does not count.
func (s *Service) nearDuplicate(m *mimo.Memory) string {
	if !s.follower.Loaded() || len(m.Embedding.Vector) != s.embedder.Dim() {
		return ""
	}
	hits := s.index.Search(m.Embedding.Vector, mimo.Filter{Namespace: m.Namespace, Categories: []mimo.Category{m.Category}}, 2)
	for _, h := range hits {
		if h.ID == m.ID {
			continue
		}
		if h.Score >= s.dupCosine {
			return h.ID
		}
		break
	}
	return ""
}

// nearDuplicates returns nearDuplicate(m) for each of ms, in one pass of
// the index per namespace and category rather than a search per memory:
// at 100,000 memories a search per item was most of a batch's CPU.
func (s *Service) nearDuplicates(ms []*mimo.Memory) []string {
	out := make([]string, len(ms))
	if !s.follower.Loaded() {
		return out
	}
	type group struct {
		ns  string
		cat mimo.Category
	}
	groups := map[group][]int{}
	for i, m := range ms {
		if len(m.Embedding.Vector) != s.embedder.Dim() {
			continue
		}
		g := group{m.Namespace, m.Category}
		groups[g] = append(groups[g], i)
	}
	// The groups write disjoint items of out, so their order does not matter.
	for g, idx := range groups {
		qs := make([][]float32, len(idx))
		skip := make([]string, len(idx))
		for j, i := range idx {
			qs[j], skip[j] = ms[i].Embedding.Vector, ms[i].ID
		}
		f := mimo.Filter{Namespace: g.ns, Categories: []mimo.Category{g.cat}}
		for j, id := range s.index.NearestAbove(qs, skip, f, s.dupCosine) {
			out[idx[j]] = id
		}
	}
	return out
}

func (s *Service) indexMemory(m *mimo.Memory) {
	s.noteStored(m)
	if e, ok := index.EntryFromMemory(m); ok && m.Embedding.Model == s.embedder.Model() {
		if err := s.index.Upsert(e); err != nil {
			s.log.Warn("index upsert failed", "id", m.ID, "err", err)
		}
	}
}

// syncIndex brings the index up to date with the store's change log. A
// failure leaves the index stale, not wrong; the next call catches up.
// The follower reads the change log outside the db circuit, so it is
// asked only while the circuit is closed: open or half-open, the
// database is not known to answer, and a caller would wait on it (the
// drainer's probe decides when it does).
func (s *Service) syncIndex(ctx context.Context) {
	if !s.follower.Loaded() || !s.dbClosed() {
		return
	}
	if err := s.follower.Sync(ctx); err != nil {
		s.log.Warn("index sync failed", "err", err)
	}
}

// decorate fills the fields clients see that derive from the embedding.
func (s *Service) decorate(m *mimo.Memory) {
	if m == nil {
		return
	}
	m.EmbeddingModel = m.Embedding.Model
	m.EmbeddingDim = m.Embedding.Dim
}

// Get implements mimo.Service.
func (s *Service) Get(ctx context.Context, namespace, id string) (*mimo.Memory, error) {
	ns, err := normalizeNamespace(namespace)
	if err != nil {
		return nil, err
	}
	if err := validateID("id", id); err != nil {
		return nil, err
	}
	if m, err, ok := s.cachedGet(ctx, ns, id, nil); ok {
		return m, err
	}
	// The read comes first and the access is counted after it, so that a
	// database that reads but cannot write (a read-only file or directory,
	// a full disk, a lock held past the busy timeout) still answers from
	// itself, not from the read cache: only this access goes uncounted.
	m, err := s.store.GetMemory(ctx, ns, id)
	if unavailable(ctx, err) {
		m, err, _ = s.cachedGet(ctx, ns, id, err)
		return m, err
	}
	if err != nil {
		return nil, err
	}
	at := micro(s.now())
	switch err := s.store.TouchMemories(ctx, ns, []string{id}, at); {
	case err == nil:
		m.AccessCount++
		m.LastAccessedAt = &at
	case unavailable(ctx, err):
		s.log.Debug("a read's access was not counted: the database cannot be written", "namespace", ns, "id", id, "err", err)
	default:
		return nil, err
	}
	s.cached(m)
	s.decorate(m)
	return m, nil
}

// Update implements mimo.Service.
func (s *Service) Update(ctx context.Context, namespace, id string, r mimo.UpdateRequest) (*mimo.Memory, error) {
	ns, err := normalizeNamespace(namespace)
	if err != nil {
		return nil, err
	}
	if err := validateID("id", id); err != nil {
		return nil, err
	}
	u := mimo.MemoryUpdate{UpdatedAt: micro(s.now())}
	if r.Content == nil && r.Category == nil && r.Importance == nil && r.Tags == nil && r.Metadata == nil {
		return nil, mimo.Errorf(mimo.EINVALID, "nothing to update: give content, category, importance, tags or metadata")
	}
	if r.Content != nil {
		if err := validateContent("content", *r.Content); err != nil {
			return nil, err
		}
		u.Content = r.Content
		m := &mimo.Memory{Content: *r.Content}
		if err := s.embed(ctx, []*mimo.Memory{m}); err != nil {
			return nil, err
		}
		u.Embedding = &m.Embedding
	}
	if r.Category != nil {
		if *r.Category == "" || !r.Category.Valid() {
			_, err := normalizeCategory(*r.Category)
			if err == nil {
				err = mimo.Errorf(mimo.EINVALID, "category: must not be empty")
			}
			return nil, err
		}
		u.Category = r.Category
	}
	if r.Importance != nil {
		if err := validateImportance(*r.Importance); err != nil {
			return nil, err
		}
		u.Importance = r.Importance
	}
	if r.Tags != nil {
		tags, err := normalizeTags(*r.Tags)
		if err != nil {
			return nil, err
		}
		u.Tags = &tags
	}
	if r.Metadata != nil {
		meta, err := mimo.CompactMetadata(*r.Metadata)
		if err != nil {
			return nil, err
		}
		raw := json.RawMessage(meta)
		u.Metadata = &raw
	}
	if s.queueWrites() {
		return s.queueUpdate(ctx, ns, id, u, nil)
	}
	m, err := s.store.UpdateMemory(ctx, ns, id, u)
	if s.queueable(ctx, err) {
		return s.queueUpdate(ctx, ns, id, u, err)
	}
	if err != nil {
		return nil, err
	}
	s.cached(m)
	s.indexMemory(m)
	s.decorate(m)
	return m, nil
}

// Delete implements mimo.Service.
func (s *Service) Delete(ctx context.Context, namespace, id string) error {
	ns, err := normalizeNamespace(namespace)
	if err != nil {
		return err
	}
	if err := validateID("id", id); err != nil {
		return err
	}
	if s.queueWrites() {
		return s.queueDelete(ctx, ns, id, nil)
	}
	if err := s.store.DeleteMemory(ctx, ns, id); s.queueable(ctx, err) {
		return s.queueDelete(ctx, ns, id, err)
	} else if err != nil {
		return err
	}
	s.uncache(ns, id)
	s.index.Delete(ns, id)
	// A memory this one superseded is current again; the change log says so.
	s.syncIndex(ctx)
	return nil
}

// List implements mimo.Service.
func (s *Service) List(ctx context.Context, q mimo.ListQuery) (*mimo.ListPage, error) {
	if err := validateFilter(&q.Filter); err != nil {
		return nil, err
	}
	limit, err := validateLimit(q.Limit, mimo.DefaultListLimit, mimo.MaxListLimit)
	if err != nil {
		return nil, err
	}
	q.Limit = limit
	if s.dbOpen() {
		return s.cachedList(ctx, q, nil)
	}
	page, err := s.store.ListMemories(ctx, q)
	if unavailable(ctx, err) {
		return s.cachedList(ctx, q, err)
	}
	if err != nil {
		return nil, err
	}
	for _, m := range page.Memories {
		s.cache.putIfAbsent(m)
		s.decorate(m)
	}
	if page.Memories == nil {
		page.Memories = []*mimo.Memory{}
	}
	return page, nil
}
