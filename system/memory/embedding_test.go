package memory_test

import (
	"context"
	"errors"
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
	"mimo/system/memory/memorytest"
	"mimo/system/metrics"
	"mimo/system/sqlite"
)

// embedderOutageFixture is a service whose embedder can fail, with a breaker of
// two failures and a re-embedding loop that looks again every few
// milliseconds (real time) while work is left.
func embedderOutageFixture(t *testing.T) *memorytest.Fixture {
	return memorytest.New(t, memorytest.Options{NoLLM: true, Configure: func(o *memory.Options) {
		o.BreakerFailures = 2
		o.BreakerReset = time.Minute
		o.ReembedRetry = 5 * time.Millisecond
		o.ReembedInterval = time.Hour
	}})
}

func embedderComponent(t *testing.T, f *memorytest.Fixture) mimo.Component {
	t.Helper()
	return f.Service.Health(context.Background()).Components["embedder"]
}

// While the embedder is down, stores succeed without a vector and searches
// rank by words, marked degraded; its circuit opens and stops the calls;
// once it is back, the memories stored meanwhile are embedded in the
// background and found by meaning again.
func TestEmbedderOutageStoresWithoutVectorsAndReembedsLater(t *testing.T) {
	f := embedderOutageFixture(t)
	svc, ctx := f.Service, context.Background()
	f.StoreAll(t, "", "The backup job runs at midnight.")
	f.Embedder.Fail(errors.New("connection refused"))

	res, err := svc.Store(ctx, mimo.StoreRequest{Content: "The deploy window opens on Fridays."})
	require.NoError(t, err, "a store succeeds while the embedder is down")
	assert.True(t, res.Created)
	assert.Empty(t, res.Memory.EmbeddingModel, "stored without a vector")
	pendingID := res.Memory.ID
	assert.Equal(t, 1.0, f.Fallbacks("embedder", "error"))

	page, err := svc.Search(ctx, mimo.SearchQuery{Query: "deploy window"})
	require.NoError(t, err)
	assert.Equal(t, "lexical", page.Mode)
	assert.True(t, page.Degraded)
	assert.Equal(t, mimo.DegradedEmbedder, page.Reason)
	assert.Equal(t, []string{pendingID}, resultIDs(page), "found by its words")
	// The search failed too, or found the circuit opened by the
	// re-embedding loop's attempt, woken by the store.
	assert.Equal(t, 2.0, f.Fallbacks("embedder", "error")+f.Fallbacks("embedder", "circuit_open"))

	require.Eventually(t, func() bool { return embedderComponent(t, f).Circuit == "open" }, 5*time.Second, time.Millisecond,
		"two failures open the circuit")
	c := embedderComponent(t, f)
	assert.Equal(t, mimo.StatusDegraded, c.Status)
	assert.Contains(t, c.Error, "connection refused")
	assert.Equal(t, mimo.StatusDegraded, svc.Health(ctx).Status)

	// Open: the embedder is not called at all.
	calls := f.Embedder.Texts()
	batch, err := svc.StoreBatch(ctx, []mimo.StoreRequest{{Content: "The on-call rota changes on Mondays."}, {Content: "Backups are kept for thirty days."}})
	require.NoError(t, err)
	for _, b := range batch {
		require.NoError(t, b.Err)
		assert.Empty(t, b.Result.Memory.EmbeddingModel)
	}
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "on-call rota"})
	require.NoError(t, err)
	assert.True(t, page.Degraded)
	assert.Equal(t, calls, f.Embedder.Texts(), "an open circuit refuses without calling")
	assert.GreaterOrEqual(t, f.Fallbacks("embedder", "circuit_open"), 2.0)
	time.Sleep(30 * time.Millisecond) // several retry periods: the loop must not call either
	assert.Equal(t, calls, f.Embedder.Texts(), "re-embedding waits for the circuit")

	// Back: after the reset time the next call is the probe; it closes the
	// circuit and wakes re-embedding.
	f.Embedder.Recover()
	f.Clock.Advance(time.Minute)
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "deploy window"})
	require.NoError(t, err)
	assert.Equal(t, "hybrid", page.Mode)
	assert.False(t, page.Degraded)
	assert.Equal(t, "closed", embedderComponent(t, f).Circuit)
	require.Eventually(t, func() bool {
		r := svc.Health(ctx).Reembed
		return r != nil && r.Pending == 0 && r.Done == 3 && !r.Running
	}, 10*time.Second, 5*time.Millisecond, "the three memories stored meanwhile are re-embedded")
	m, err := f.Store.GetMemory(ctx, "", pendingID)
	require.NoError(t, err)
	assert.Equal(t, f.Embedder.Model(), m.EmbeddingModel)
	assert.Len(t, m.Embedding.Vector, f.Embedder.Dim())
	c = embedderComponent(t, f)
	assert.Equal(t, mimo.StatusOK, c.Status)
	assert.Empty(t, c.Error)

	// Its vector is in the index: a query sharing no word finds it by
	// meaning alone.
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "deployment windows friday"})
	require.NoError(t, err)
	var scores []float64
	for _, r := range page.Results {
		if r.Memory.ID == pendingID {
			scores = append(scores, r.Score.Vector)
		}
	}
	require.Len(t, scores, 1)
	assert.Greater(t, scores[0], 0.0, "ranked by its new vector")
}

// Repeated searches embed their query once.
func TestQueryEmbeddingsAreCached(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	f.StoreAll(t, "", "The backup job runs at midnight.")
	before := f.Embedder.Texts()
	for range 3 {
		page, err := f.Service.Search(context.Background(), mimo.SearchQuery{Query: "when do backups run"})
		require.NoError(t, err)
		assert.Equal(t, "hybrid", page.Mode)
	}
	_, err := f.Service.Ask(context.Background(), mimo.AskRequest{Query: "when do backups run"})
	require.NoError(t, err)
	assert.Equal(t, before+1, f.Embedder.Texts(), "one call for four uses of the same query")

	// Disabled, every search calls the embedder.
	g := memorytest.New(t, memorytest.Options{NoLLM: true, Configure: func(o *memory.Options) { o.QueryCacheEntries = -1 }})
	before = g.Embedder.Texts()
	for range 2 {
		_, err := g.Service.Search(context.Background(), mimo.SearchQuery{Query: "when do backups run"})
		require.NoError(t, err)
	}
	assert.Equal(t, before+2, g.Embedder.Texts())
}

// A search whose caller gives up is not held against the embedder.
func TestCancelledCallerDoesNotOpenTheCircuit(t *testing.T) {
	f := embedderOutageFixture(t)
	f.Embedder.Fail(context.Canceled)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 3 {
		_, err := f.Service.Store(ctx, mimo.StoreRequest{Content: "never stored"})
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
	}
	assert.Equal(t, "closed", embedderComponent(t, f).Circuit)
	n, err := f.Store.CountMemories(context.Background(), "*")
	require.NoError(t, err)
	assert.Zero(t, n)
}

// The built-in embedder cannot fail: no breaker, its component closed and ok.
func TestBuiltinEmbedderHasNoCircuit(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "mimo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.MigrateUp(ctx)
	require.NoError(t, err)
	e := embed.NewBuiltin(embed.BuiltinOptions{})
	idx := index.New(index.Options{Dim: e.Dim()})
	fol := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Model: e.Model()})
	require.NoError(t, fol.Load(ctx))
	met := metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()})
	svc, err := memory.New(memory.Options{Store: st, Embedder: e, Index: idx, Follower: fol, Metrics: met})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	h := svc.Health(ctx)
	assert.Equal(t, mimo.Component{Status: mimo.StatusOK, Circuit: "closed"}, h.Components["embedder"])
	require.NotNil(t, h.Reembed)
	assert.Zero(t, testutil.ToFloat64(met.BreakerState.WithLabelValues("embedder")))
}

// refusing embeds like the built-in embedder but refuses, as a bad
// request, any text holding "REFUSE", and counts its calls.
type refusing struct {
	*embed.Builtin
	mu    sync.Mutex
	calls int
	down  bool
}

func (r *refusing) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	r.mu.Lock()
	r.calls++
	down := r.down
	r.mu.Unlock()
	if down {
		return nil, mimo.Wrap(mimo.EUNAVAILABLE, &embed.Failure{Provider: "ollama", Reason: embed.ReasonRefused}, "down")
	}
	for _, t := range texts {
		if strings.Contains(t, "REFUSE") {
			return nil, mimo.Wrap(mimo.EUNAVAILABLE, &embed.Failure{Provider: "ollama", Reason: embed.ReasonBadRequest, Status: 400}, "refused")
		}
	}
	return r.Builtin.Embed(ctx, texts)
}

// Reembed (what `mimo reindex` runs) moves every memory to the new
// embedder, resumes where a stopped run left off, and skips the memories
// the embedder refuses on their own.
func TestReembedMovesEveryMemoryToTheNewModelAndResumes(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	ctx := context.Background()
	var contents []string
	for i := range 7 {
		contents = append(contents, "memory number "+strings.Repeat("x", i+1))
	}
	contents = append(contents, "this one says REFUSE")
	f.StoreAll(t, "a", contents[:4]...)
	f.StoreAll(t, "b", contents[4:]...)

	next := &refusing{Builtin: embed.NewBuiltin(embed.BuiltinOptions{Dim: 64})}
	next.down = true
	res, err := memory.Reembed(ctx, memory.ReembedOptions{Store: f.Store, Embedder: next, BatchSize: 3})
	require.Error(t, err, "a provider that is down stops the run")
	assert.Equal(t, int64(8), res.Total)
	assert.Zero(t, res.Done)

	// A run stopped after its first batch…
	next.down = false
	stop, cancel := context.WithCancel(ctx)
	res, err = memory.Reembed(stop, memory.ReembedOptions{Store: f.Store, Embedder: next, BatchSize: 3,
		Progress: func(done, total int64) { cancel() }})
	require.Error(t, err)
	assert.Equal(t, int64(3), res.Done)

	// …is continued by the next, which does only what is left.
	var seen []int64
	res, err = memory.Reembed(ctx, memory.ReembedOptions{Store: f.Store, Embedder: next, BatchSize: 3,
		Progress: func(done, total int64) { seen = append(seen, done) }})
	require.NoError(t, err)
	assert.Equal(t, memory.ReembedResult{Total: 5, Done: 4, Skipped: 1}, res)
	assert.Equal(t, int64(4), seen[len(seen)-1])

	counts, err := f.Store.EmbeddingModels(ctx, "", 0)
	require.NoError(t, err)
	assert.Equal(t, []mimo.EmbeddingCount{
		{Model: next.Model(), Dim: 64, Memories: 7},
		{Model: f.Embedder.Model(), Dim: f.Embedder.Dim(), Memories: 1},
	}, counts, "the refused memory keeps its old vector")

	res, err = memory.Reembed(ctx, memory.ReembedOptions{Store: f.Store, Embedder: next})
	require.NoError(t, err)
	assert.Equal(t, memory.ReembedResult{Total: 1, Done: 0, Skipped: 1}, res, "a re-run tries the refused one again")
}

// An update of content while the embedder is down drops the old vector
// (it no longer says what the memory says) and the new content is embedded
// once the embedder is back.
func TestContentUpdatedWhileTheEmbedderIsDownIsReembedded(t *testing.T) {
	f := embedderOutageFixture(t)
	ctx := context.Background()
	ids := f.StoreAll(t, "", "The deploy window opens on Fridays.")
	f.Embedder.Fail(errors.New("i/o timeout"))
	content := "Releases ship on Tuesdays after review."
	m, err := f.Service.Update(ctx, "", ids[0], mimo.UpdateRequest{Content: &content})
	require.NoError(t, err)
	assert.Empty(t, m.EmbeddingModel)
	stored, err := f.Store.GetMemory(ctx, "", ids[0])
	require.NoError(t, err)
	assert.Nil(t, stored.Embedding.Vector, "the old content's vector is gone")

	// The loop's own attempt fails too and opens the circuit; once the
	// reset time has passed, the loop's next look is the probe.
	require.Eventually(t, func() bool { return embedderComponent(t, f).Circuit == "open" }, 5*time.Second, time.Millisecond)
	f.Embedder.Recover()
	f.Clock.Advance(time.Minute)
	require.Eventually(t, func() bool {
		m, err := f.Store.GetMemory(ctx, "", ids[0])
		return err == nil && m.Embedding.Vector != nil
	}, 10*time.Second, 5*time.Millisecond, "re-embedded by the loop's next look")
	want, err := embed.NewBuiltin(embed.BuiltinOptions{}).Embed(ctx, []string{content})
	require.NoError(t, err)
	stored, err = f.Store.GetMemory(ctx, "", ids[0])
	require.NoError(t, err)
	assert.Equal(t, want[0], stored.Embedding.Vector, "the new content's vector")
}
