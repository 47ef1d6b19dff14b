package memory_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/embed"
	"mimo/system/index"
	"mimo/system/memory"
	"mimo/system/metrics"
	"mimo/system/sqlite"
)

// fakeLLM answers with reply, or fails with err, and keeps the prompts.
type fakeLLM struct {
	mu      sync.Mutex
	reply   string
	err     error
	prompts []string
}

func (f *fakeLLM) Complete(_ context.Context, _, prompt string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prompts = append(f.prompts, prompt)
	return f.reply, f.err
}

func (f *fakeLLM) Model() string { return "fake" }

func newAskService(t *testing.T, llm mimo.LLM, opts ...func(*memory.Options)) (*memory.Service, *metrics.Metrics) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "mimo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.MigrateUp(ctx)
	require.NoError(t, err)
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	idx := index.New(index.Options{Dim: emb.Dim()})
	f := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Model: emb.Model()})
	require.NoError(t, f.Load(ctx))
	met := metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()})
	o := memory.Options{Store: st, Embedder: emb, Index: idx, Follower: f, Metrics: met, LLM: llm}
	for _, opt := range opts {
		opt(&o)
	}
	svc, err := memory.New(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	return svc, met
}

func storeAll(t *testing.T, svc *memory.Service, ns string, contents ...string) []string {
	t.Helper()
	var ids []string
	for _, c := range contents {
		res, err := svc.Store(context.Background(), mimo.StoreRequest{Namespace: ns, Content: c})
		require.NoError(t, err)
		ids = append(ids, res.Memory.ID)
	}
	return ids
}

func TestAskWithoutAnLLMQuotesTheBestMemory(t *testing.T) {
	svc, met := newAskService(t, nil)
	ids := storeAll(t, svc, "", "The office plants are watered on Mondays.",
		"Staging runs on Postgres 15. It lives on the host db-2 in the second rack.",
		"The team lunch is on Thursdays.")
	ans, err := svc.Ask(context.Background(), mimo.AskRequest{Query: "Which host and rack is staging on?"})
	require.NoError(t, err)
	assert.True(t, ans.Degraded)
	assert.Contains(t, ans.Reason, "no language model")
	require.NotEmpty(t, ans.Sources)
	assert.Equal(t, mimo.Source{Kind: "memory", ID: ids[1], Score: ans.Sources[0].Score}, ans.Sources[0])
	assert.True(t, strings.HasPrefix(ans.Answer, "It lives on the host db-2 in the second rack [1]"),
		"the sentence sharing most words with the question, cited: %q", ans.Answer)
	assert.NotContains(t, ans.Answer, "plants", "sources sharing no word are not quoted")
	assert.Equal(t, []string{mimo.RouteMemories}, ans.Route.Stores)
	assert.GreaterOrEqual(t, ans.LatencyMS, 0.0)
	assert.Equal(t, 1.0, testutil.ToFloat64(met.Fallbacks.WithLabelValues("llm", "no_llm")))
}

func TestAskRoutesAndCachesTheDecision(t *testing.T) {
	svc, met := newAskService(t, nil)
	ctx := context.Background()
	storeAll(t, svc, "", "Ana leads the billing team.")
	_, err := svc.CreateEntities(ctx, "", []mimo.Entity{{Name: "Ana", EntityType: "person", Observations: []string{"leads the billing team"}}})
	require.NoError(t, err)

	first, err := svc.Ask(ctx, mimo.AskRequest{Query: "Who works with Ana on billing?"})
	require.NoError(t, err)
	assert.Equal(t, []string{mimo.RouteMemories, mimo.RouteGraph}, first.Route.Stores)
	assert.False(t, first.Route.Cached)
	assert.Greater(t, first.Route.Confidence, 0.5)
	var kinds []string
	for _, s := range first.Sources {
		kinds = append(kinds, s.Kind+":"+s.ID)
	}
	assert.Contains(t, kinds, "entity:Ana", "the graph was asked")

	again, err := svc.Ask(ctx, mimo.AskRequest{Query: "  who works WITH ana on billing?"})
	require.NoError(t, err)
	assert.True(t, again.Route.Cached, "the same question, differently spaced and cased")
	assert.Equal(t, first.Route.Stores, again.Route.Stores)

	recent, err := svc.Ask(ctx, mimo.AskRequest{Query: "what happened lately?"})
	require.NoError(t, err)
	assert.Contains(t, recent.Route.Stores, mimo.RouteRecent)
	assert.NotEmpty(t, recent.Sources, "the newest memories answer a question about recent events")

	h := svc.Health(ctx)
	assert.Equal(t, mimo.CacheStats{Entries: 2, Hits: 1, Misses: 2, HitRate: 1.0 / 3, TTLSeconds: 600, MaxEntries: 10000}, h.ClassifierCache)
	assert.Equal(t, 1.0, testutil.ToFloat64(met.ClassifierHits))
	assert.Equal(t, 2.0, testutil.ToFloat64(met.ClassifierMisses))
	st, err := svc.Stats(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, h.ClassifierCache, st.ClassifierCache)
}

func TestAskWithAnLLMAnswersAndFallsBackToItsCachedAnswer(t *testing.T) {
	llm := &fakeLLM{reply: "Staging is on db-2 [1]."}
	svc, met := newAskService(t, llm)
	ctx := context.Background()
	ids := storeAll(t, svc, "team", "Staging runs on Postgres 15 on the host db-2.")

	ans, err := svc.Ask(ctx, mimo.AskRequest{Namespace: "team", Query: "Where does staging run?"})
	require.NoError(t, err)
	assert.False(t, ans.Degraded)
	assert.Equal(t, "Staging is on db-2 [1].", ans.Answer)
	require.Len(t, llm.prompts, 1)
	assert.Contains(t, llm.prompts[0], "[1] Staging runs on Postgres 15 on the host db-2.", "the memories go to the model numbered")
	assert.Contains(t, llm.prompts[0], "Question: Where does staging run?")

	llm.err = errors.New("connection refused")
	cached, err := svc.Ask(ctx, mimo.AskRequest{Namespace: "team", Query: "where does staging run?"})
	require.NoError(t, err)
	assert.True(t, cached.Degraded)
	assert.Equal(t, "Staging is on db-2 [1].", cached.Answer, "the model's earlier answer to the same question")
	assert.Contains(t, cached.Reason, "earlier answer")
	assert.Equal(t, 1.0, testutil.ToFloat64(met.Fallbacks.WithLabelValues("llm", "cached_answer")))

	other, err := svc.Ask(ctx, mimo.AskRequest{Namespace: "team", Query: "Which Postgres version is staging?"})
	require.NoError(t, err)
	assert.True(t, other.Degraded)
	assert.Contains(t, other.Reason, "failed")
	assert.Contains(t, other.Answer, "Postgres 15", "extractive when nothing is cached")
	assert.Equal(t, ids[0], other.Sources[0].ID)
	assert.Equal(t, 1.0, testutil.ToFloat64(met.Fallbacks.WithLabelValues("llm", "llm_failed")))

	h := svc.Health(ctx)
	assert.Equal(t, mimo.StatusDegraded, h.Components["llm"].Status, "health shows the failing model")
	assert.Equal(t, mimo.StatusDegraded, h.Status)

	llm.err, llm.reply = nil, "   "
	empty, err := svc.Ask(ctx, mimo.AskRequest{Namespace: "team", Query: "What version?"})
	require.NoError(t, err)
	assert.True(t, empty.Degraded, "an empty reply is a failure")

	llm.reply = "Postgres 15 [1]."
	fine, err := svc.Ask(ctx, mimo.AskRequest{Namespace: "team", Query: "What version?"})
	require.NoError(t, err)
	assert.False(t, fine.Degraded)
	h = svc.Health(ctx)
	assert.Equal(t, mimo.StatusOK, h.Components["llm"].Status, "a success clears it")
	assert.Equal(t, mimo.StatusOK, h.Status)
}

func TestAskNeverLeaksAcrossNamespacesAndRefusesBadInput(t *testing.T) {
	svc, _ := newAskService(t, nil)
	ctx := context.Background()
	storeAll(t, svc, "alice", "Alice's locker code is 4471.")
	ans, err := svc.Ask(ctx, mimo.AskRequest{Namespace: "bob", Query: "what is the locker code?"})
	require.NoError(t, err)
	assert.Empty(t, ans.Sources)
	assert.Equal(t, "I have no memories about that.", ans.Answer)

	for _, r := range []mimo.AskRequest{
		{Query: ""}, {Query: "   "}, {Query: "x", Limit: 21}, {Query: "x", Limit: -1},
		{Query: "x", Namespace: "a b"}, {Query: strings.Repeat("q", mimo.MaxQueryBytes+1)}, {Query: "\xff"},
	} {
		_, err := svc.Ask(ctx, r)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "%+v", r)
	}
}

// The LLM's circuit opens after BreakerFailures failed answers; while open
// the model is not called and answers say why; after BreakerReset one
// probe goes through and a success closes it.
func TestAskTheLLMsCircuitOpensAndCloses(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	llm := &fakeLLM{err: errors.New("connection refused")}
	svc, met := newAskService(t, llm, func(o *memory.Options) {
		o.Now, o.BreakerFailures, o.BreakerReset = clock, 3, 30*time.Second
	})
	ctx := context.Background()
	storeAll(t, svc, "", "The backup job runs at midnight.")
	ask := func(q string) *mimo.Answer {
		t.Helper()
		a, err := svc.Ask(ctx, mimo.AskRequest{Query: q})
		require.NoError(t, err)
		return a
	}
	for i := range 3 {
		a := ask(fmt.Sprintf("when does the backup job run %d?", i))
		assert.Contains(t, a.Reason, "failed")
	}
	assert.Len(t, llm.prompts, 3)
	assert.Equal(t, "open", svc.Health(ctx).Components["llm"].Circuit)

	open := ask("when is the backup?")
	assert.True(t, open.Degraded)
	assert.Contains(t, open.Reason, "circuit is open")
	assert.Contains(t, open.Answer, "midnight")
	assert.Len(t, llm.prompts, 3, "the model is not called while the circuit is open")
	assert.Equal(t, 1.0, testutil.ToFloat64(met.Fallbacks.WithLabelValues("llm", "circuit_open")))

	mu.Lock()
	now = now.Add(30 * time.Second)
	mu.Unlock()
	assert.Equal(t, "half-open", svc.Health(ctx).Components["llm"].Circuit)
	llm.mu.Lock()
	llm.err, llm.reply = nil, "At midnight [1]."
	llm.mu.Unlock()
	probe := ask("what time is the backup?")
	assert.False(t, probe.Degraded, "the probe succeeds")
	assert.Equal(t, "closed", svc.Health(ctx).Components["llm"].Circuit)
	assert.Equal(t, 1.0, testutil.ToFloat64(met.BreakerTransitions.WithLabelValues("llm", "open")))
	assert.Equal(t, 1.0, testutil.ToFloat64(met.BreakerTransitions.WithLabelValues("llm", "half-open")))
	assert.Equal(t, 1.0, testutil.ToFloat64(met.BreakerTransitions.WithLabelValues("llm", "closed")))
}

// Search's fallbacks are counted: words only while the vector index loads,
// and the most recent memories when no word matches either.
func TestSearchFallbacksAreCounted(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "mimo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.MigrateUp(ctx)
	require.NoError(t, err)
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	idx := index.New(index.Options{Dim: emb.Dim()})
	f := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Model: emb.Model()}) // never loaded
	met := metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()})
	svc, err := memory.New(memory.Options{Store: st, Embedder: emb, Index: idx, Follower: f, Metrics: met})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	storeAll(t, svc, "", "The backup job runs at midnight.")

	page, err := svc.Search(ctx, mimo.SearchQuery{Query: "backup"})
	require.NoError(t, err)
	assert.Equal(t, memory.ModeLexical, page.Mode)
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "zebra"})
	require.NoError(t, err)
	assert.Equal(t, memory.ModeRecent, page.Mode)
	assert.Equal(t, 2.0, testutil.ToFloat64(met.Fallbacks.WithLabelValues("index", "loading")))
	assert.Equal(t, 1.0, testutil.ToFloat64(met.Fallbacks.WithLabelValues("search", "no_match")))
}
