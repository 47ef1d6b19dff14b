package memory_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/memory"
	"mimo/system/memory/memorytest"
)

// ask asks q in ns and fails the test on an error.
func ask(t *testing.T, f *memorytest.Fixture, ns, q string) *mimo.Answer {
	t.Helper()
	a, err := f.Service.Ask(context.Background(), mimo.AskRequest{Namespace: ns, Query: q})
	require.NoError(t, err, q)
	return a
}

func TestAskWithoutAnLLMQuotesTheBestMemory(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	ids := f.StoreAll(t, "", "The office plants are watered on Mondays.",
		"Staging runs on Postgres 15. It lives on the host db-2 in the second rack.",
		"The team lunch is on Thursdays.")
	ans := ask(t, f, "", "Which host and rack is staging on?")
	assert.True(t, ans.Degraded)
	assert.Contains(t, ans.Reason, "no language model")
	require.NotEmpty(t, ans.Sources)
	assert.Equal(t, mimo.Source{Kind: "memory", ID: ids[1], Score: ans.Sources[0].Score}, ans.Sources[0])
	assert.True(t, strings.HasPrefix(ans.Answer, "It lives on the host db-2 in the second rack [1]"),
		"the sentence sharing most words with the question, cited: %q", ans.Answer)
	assert.NotContains(t, ans.Answer, "plants", "sources sharing no word are not quoted")
	assert.Equal(t, []string{mimo.RouteMemories}, ans.Route.Stores)
	assert.GreaterOrEqual(t, ans.LatencyMS, 0.0)
	assert.Equal(t, 1.0, f.Fallbacks("llm", "no_llm"))
}

func TestAskRoutesAndCachesTheDecision(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	svc, met := f.Service, f.Metrics
	ctx := context.Background()
	f.StoreAll(t, "", "Ana leads the billing team.")
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
	f := memorytest.New(t, memorytest.Options{})
	f.LLM.Reply("Staging is on db-2 [1].")
	ctx := context.Background()
	ids := f.StoreAll(t, "team", "Staging runs on Postgres 15 on the host db-2.")

	ans := ask(t, f, "team", "Where does staging run?")
	assert.False(t, ans.Degraded)
	assert.Equal(t, "Staging is on db-2 [1].", ans.Answer)
	prompts := f.LLM.Prompts()
	require.Len(t, prompts, 1)
	assert.Equal(t, "Memories:\n[1] Staging runs on Postgres 15 on the host db-2.\n\nQuestion: Where does staging run?", prompts[0],
		"the memories go to the model numbered, then the question")

	f.LLM.Fail(errors.New("connection refused"))
	cached := ask(t, f, "team", "where does staging run?")
	assert.True(t, cached.Degraded)
	assert.Equal(t, "Staging is on db-2 [1].", cached.Answer, "the model's earlier answer to the same question")
	assert.Contains(t, cached.Reason, "earlier answer")
	assert.Equal(t, 1.0, f.Fallbacks("llm", "cached_answer"))

	other := ask(t, f, "team", "Which Postgres version is staging?")
	assert.True(t, other.Degraded)
	assert.Contains(t, other.Reason, "failed")
	assert.Contains(t, other.Answer, "Postgres 15", "extractive when nothing is cached")
	assert.Equal(t, ids[0], other.Sources[0].ID)
	assert.Equal(t, 1.0, f.Fallbacks("llm", "llm_failed"))

	h := f.Service.Health(ctx)
	assert.Equal(t, mimo.StatusDegraded, h.Components["llm"].Status, "health shows the failing model")
	assert.Equal(t, mimo.StatusDegraded, h.Status)

	f.LLM.Reply("   ")
	empty := ask(t, f, "team", "What version?")
	assert.True(t, empty.Degraded, "an empty reply is a failure")

	f.LLM.Reply("Postgres 15 [1].")
	fine := ask(t, f, "team", "What version?")
	assert.False(t, fine.Degraded)
	h = f.Service.Health(ctx)
	assert.Equal(t, mimo.StatusOK, h.Components["llm"].Status, "a success clears it")
	assert.Equal(t, mimo.StatusOK, h.Status)
}

func TestAskNeverLeaksAcrossNamespacesAndRefusesBadInput(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	svc, ctx := f.Service, context.Background()
	f.StoreAll(t, "alice", "Alice's locker code is 4471.")
	ans := ask(t, f, "bob", "what is the locker code?")
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
	f := memorytest.New(t, memorytest.Options{Configure: func(o *memory.Options) {
		o.BreakerFailures, o.BreakerReset = 3, 30*time.Second
	}})
	f.LLM.Fail(errors.New("connection refused"))
	ctx := context.Background()
	f.StoreAll(t, "", "The backup job runs at midnight.")
	for i := range 3 {
		a := ask(t, f, "", fmt.Sprintf("when does the backup job run %d?", i))
		assert.Contains(t, a.Reason, "failed")
	}
	assert.Len(t, f.LLM.Prompts(), 3)
	assert.Equal(t, "open", f.Service.Health(ctx).Components["llm"].Circuit)

	open := ask(t, f, "", "when is the backup?")
	assert.True(t, open.Degraded)
	assert.Contains(t, open.Reason, "circuit is open")
	assert.Contains(t, open.Answer, "midnight")
	assert.Len(t, f.LLM.Prompts(), 3, "the model is not called while the circuit is open")
	assert.Equal(t, 1.0, f.Fallbacks("llm", "circuit_open"))

	f.Clock.Advance(30 * time.Second)
	assert.Equal(t, "half-open", f.Service.Health(ctx).Components["llm"].Circuit)
	f.LLM.Reply("At midnight [1].")
	probe := ask(t, f, "", "what time is the backup?")
	assert.False(t, probe.Degraded, "the probe succeeds")
	assert.Equal(t, "closed", f.Service.Health(ctx).Components["llm"].Circuit)
	met := f.Metrics
	assert.Equal(t, 1.0, testutil.ToFloat64(met.BreakerTransitions.WithLabelValues("llm", "open")))
	assert.Equal(t, 1.0, testutil.ToFloat64(met.BreakerTransitions.WithLabelValues("llm", "half-open")))
	assert.Equal(t, 1.0, testutil.ToFloat64(met.BreakerTransitions.WithLabelValues("llm", "closed")))
}

// hangUpLLM is a model whose every call outlives its caller: the caller's
// context is cancelled while the model is answering, as when a client
// hangs up, and the call fails with the context's error.
type hangUpLLM struct {
	cancel context.CancelFunc
	calls  int
}

func (l *hangUpLLM) Complete(ctx context.Context, _, _ string) (string, error) {
	l.calls++
	l.cancel()
	<-ctx.Done()
	return "", ctx.Err()
}

func (l *hangUpLLM) Model() string { return "hangup" }

// Clients hanging up while the model answers are not the model's
// failures: its circuit stays closed, /health does not blame it, no
// fallback is counted, and the ask fails with the caller's cancellation.
func TestAskClientsHangingUpDoNotOpenTheLLMsCircuit(t *testing.T) {
	llm := &hangUpLLM{}
	f := memorytest.New(t, memorytest.Options{Configure: func(o *memory.Options) {
		o.BreakerFailures = 2
		o.LLM = llm
	}})
	f.StoreAll(t, "", "The backup job runs at midnight.")
	for i := range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		llm.cancel = cancel
		_, err := f.Service.Ask(ctx, mimo.AskRequest{Query: fmt.Sprintf("when does the backup job run %d?", i)})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		cancel()
	}
	assert.Equal(t, 5, llm.calls, "the model was asked every time")
	h := f.Service.Health(context.Background())
	assert.Equal(t, "closed", h.Components["llm"].Circuit)
	assert.Equal(t, mimo.StatusOK, h.Components["llm"].Status)
	for _, reason := range []string{"cached_answer", "llm_failed", "circuit_open"} {
		assert.Equal(t, 0.0, f.Fallbacks("llm", reason), reason)
	}
}

// Search's fallbacks are counted: words only while the vector index loads,
// and the most recent memories when no word matches either.
func TestSearchFallbacksAreCounted(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{IndexNotLoaded: true})
	svc, ctx := f.Service, context.Background()
	f.StoreAll(t, "", "The backup job runs at midnight.")

	page, err := svc.Search(ctx, mimo.SearchQuery{Query: "backup"})
	require.NoError(t, err)
	assert.Equal(t, memory.ModeLexical, page.Mode)
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "zebra"})
	require.NoError(t, err)
	assert.Equal(t, memory.ModeRecent, page.Mode)
	assert.Equal(t, 2.0, f.Fallbacks("index", "loading"))
	assert.Equal(t, 1.0, f.Fallbacks("search", "no_match"))
}

// A question asked while the embedder is down is answered from the
// memories found by their words, and the answer says it is degraded for
// the reason the search gives, whether the language model or the
// extractive fallback wrote it; once the embedder is back it is not.
func TestAskWhileTheEmbedderIsDownSaysWhy(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{Configure: func(o *memory.Options) {
		o.BreakerFailures, o.BreakerReset = 1, time.Minute
		o.ReembedInterval, o.ReembedRetry = time.Hour, time.Hour
	}})
	ids := f.StoreAll(t, "", "Staging runs on Postgres 15 on the host db-2.", "The team lunch is on Thursdays.")
	f.Embedder.Fail(errors.New("connection refused"))

	for _, circuit := range []string{"a failing embedder", "its circuit open"} {
		ans := ask(t, f, "", "Which host runs staging?")
		assert.True(t, ans.Degraded, circuit)
		assert.Equal(t, mimo.DegradedEmbedder, ans.Reason, circuit)
		assert.Equal(t, "OK [1].", ans.Answer, "%s: the language model still answers", circuit)
		require.NotEmpty(t, ans.Sources, circuit)
		assert.Equal(t, ids[0], ans.Sources[0].ID, "%s: found by its words", circuit)
	}
	assert.Equal(t, "open", embedderComponent(t, f).Circuit)

	// The extractive fallback (the model failing too) names the first
	// cause as well.
	f.LLM.Fail(errors.New("model down"))
	ans := ask(t, f, "", "Is the team lunch on Thursdays?")
	assert.True(t, ans.Degraded)
	assert.Equal(t, mimo.DegradedEmbedder, ans.Reason)
	assert.Contains(t, ans.Answer, "Thursdays [1]")

	f.LLM.Reply("OK [1].")
	f.Embedder.Recover()
	f.Clock.Advance(time.Minute)
	ans = ask(t, f, "", "Which host runs staging?")
	assert.False(t, ans.Degraded, ans.Reason)
	assert.Empty(t, ans.Reason)
}

// Asked while the database is down, an answer the language model wrote
// from the read cache says db_unavailable too.
func TestAskFromTheReadCacheSaysTheDatabaseIsUnavailable(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{Outage: true, Configure: func(o *memory.Options) {
		o.BreakerFailures, o.BreakerReset = 2, time.Minute
	}})
	ctx := context.Background()
	ids := f.StoreAll(t, "", "Staging runs on Postgres 15 on the host db-2.")
	f.Switch.Fail(mimo.Wrap(mimo.EUNAVAILABLE, errors.New("connection refused"), "database unavailable"))
	for range 3 {
		ans, err := f.Service.Ask(ctx, mimo.AskRequest{Query: "Which host runs staging?"})
		require.NoError(t, err)
		assert.True(t, ans.Degraded)
		assert.Equal(t, mimo.ReasonDBUnavailable, ans.Reason)
		assert.Equal(t, "OK [1].", ans.Answer)
		require.NotEmpty(t, ans.Sources)
		assert.Equal(t, ids[0], ans.Sources[0].ID)
	}
}

func TestAskReusesItsRetrievalOnlyWhileNoMemoryChanged(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	f.StoreAll(t, "", "The billing service is deployed on Fridays.", "Lunch is at noon.")
	q := "When is the payroll export scheduled?"
	first := ask(t, f, "", q)
	again := ask(t, f, "", q)
	assert.Equal(t, first.Sources, again.Sources, "nothing changed: the same memories")

	ids := f.StoreAll(t, "", "The payroll export is scheduled every Monday at 6.")
	after := ask(t, f, "", q)
	require.NotEmpty(t, after.Sources)
	assert.Equal(t, ids[0], after.Sources[0].ID, "a memory stored since is found at once")

	err := f.Service.Delete(context.Background(), "", ids[0])
	require.NoError(t, err)
	for _, s := range ask(t, f, "", q).Sources {
		assert.NotEqual(t, ids[0], s.ID, "a deleted memory is not answered from the cache")
	}
}

// countingStore counts the reads of memories by id that searches make.
type countingStore struct {
	mimo.Store
	reads atomic.Int64
}

func (c *countingStore) GetMemoriesNoVector(ctx context.Context, ns string, ids []string) ([]*mimo.Memory, error) {
	c.reads.Add(1)
	return c.Store.GetMemoriesNoVector(ctx, ns, ids)
}

// A reused retrieval ranks and scores its memories as a fresh search
// would, however long it is kept: recency falls as time passes, which
// reorders memories of near relevance, and a memory left out may come to
// outrank one kept. Sources are compared with a client's search at each
// moment.
func TestAskReusedRetrievalRanksAsAFreshSearchWould(t *testing.T) {
	var st *countingStore
	f := memorytest.New(t, memorytest.Options{NoLLM: true, Configure: func(o *memory.Options) {
		st = &countingStore{Store: o.Store}
		o.Store = st
	}})
	ctx := context.Background()
	store := func(content string, importance float64) {
		_, err := f.Service.Store(ctx, mimo.StoreRequest{Content: content, Importance: &importance})
		require.NoError(t, err)
	}
	// Older memories matching more of the question, then, a year on,
	// newer ones matching less: recency first favours the newer, and as
	// they age too the older, more relevant ones overtake them, the
	// fourth best the third, and the sixth the fifth.
	store("The payroll export runs weekly on the finance server.", 0.5)
	store("The payroll export is checked by the finance team.", 0.9)
	store("Payroll export problems go to the finance channel.", 0.2)
	f.Clock.Advance(365 * 24 * time.Hour)
	store("The export of payroll data starts at six.", 0.5)
	store("Payroll is exported to the bank.", 0.6)
	store("The finance server exports reports.", 0.45)
	store("Weekly exports run on a server.", 0.3)

	q := "When does the weekly payroll export run on the finance server?"
	var orders [][]string
	cached := 0
	for _, step := range []time.Duration{0, time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour,
		30 * 24 * time.Hour, 60 * 24 * time.Hour, 120 * 24 * time.Hour, 365 * 24 * time.Hour} {
		f.Clock.Advance(step)
		before := st.reads.Load()
		ans, err := f.Service.Ask(ctx, mimo.AskRequest{Query: q, Limit: 5})
		require.NoError(t, err)
		if st.reads.Load() == before {
			cached++
		}
		page, err := f.Service.Search(ctx, mimo.SearchQuery{Query: q, Limit: 5})
		require.NoError(t, err)
		want := make([]mimo.Source, len(page.Results))
		for i, r := range page.Results {
			want[i] = mimo.Source{Kind: "memory", ID: r.Memory.ID, Score: r.Score.Total}
		}
		require.Equal(t, want, ans.Sources, "after %s", step)
		ids := make([]string, len(want))
		for i, w := range want {
			ids[i] = w.ID
		}
		if len(orders) == 0 || !slices.Equal(orders[len(orders)-1], ids) {
			orders = append(orders, ids)
		}
	}
	assert.Greater(t, cached, 0, "some asks reused their retrieval")
	// Twice at least: a memory kept overtaken by another kept, and one
	// left out overtaking one kept.
	assert.Greater(t, len(orders), 2, "the ranking changed as time passed: %v", orders)
}

// Ask's sources are a client's search's results, at every limit: its
// retrieval asks the ranking for one memory more than it keeps (to know how
// far scores may fall before one left out could outrank one kept), which
// must not change the ones kept, here with more matches than the ranking
// draws candidates.
func TestAskSourcesAreASearchsResultsAtEveryLimit(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	ctx := context.Background()
	teams := []string{"billing", "search", "payments", "growth", "identity", "mobile", "data", "support", "catalog", "checkout"}
	things := []string{"deploys", "alerts", "backups", "reviews", "budgets", "dashboards", "rotations", "releases", "audits", "migrations", "runbooks", "incidents"}
	for i, team := range teams {
		for j, thing := range things {
			f.Clock.Advance(time.Hour)
			imp := float64((i*len(things)+j)%10) / 10
			_, err := f.Service.Store(ctx, mimo.StoreRequest{Content: fmt.Sprintf("The %s team owns the %s of project %d.", team, thing, j), Importance: &imp})
			require.NoError(t, err)
		}
	}
	q := "which team owns the billing deploys and the search alerts of the project?"
	for limit := 1; limit <= mimo.MaxAskSources; limit++ {
		ans, err := f.Service.Ask(ctx, mimo.AskRequest{Query: q, Limit: limit})
		require.NoError(t, err)
		page, err := f.Service.Search(ctx, mimo.SearchQuery{Query: q, Limit: limit})
		require.NoError(t, err)
		require.Len(t, ans.Sources, limit)
		for i, r := range page.Results {
			assert.Equal(t, mimo.Source{Kind: "memory", ID: r.Memory.ID, Score: r.Score.Total}, ans.Sources[i], "limit %d, source %d", limit, i)
		}
	}
}

// plainGraph hides a store's FindEntities: only GraphStore's methods show.
type plainGraph struct{ mimo.GraphStore }

// failingFinder is a graph whose searches for a question fail.
type failingFinder struct{ mimo.GraphStore }

func (failingFinder) FindEntities(context.Context, string, []string, int) ([][]mimo.Entity, error) {
	return nil, mimo.Errorf(mimo.EUNAVAILABLE, "graph down")
}

// A question routed to the graph finds the same entities whether the
// store searches for all its words in one read or one SearchNodes a word;
// a graph that fails adds nothing and is counted.
func TestAskGraphSourcesDoNotDependOnHowTheStoreSearches(t *testing.T) {
	entities := []mimo.Entity{
		{Name: "Ana", EntityType: "person", Observations: []string{"leads the billing team", "owns the payroll export"}},
		{Name: "Bo", EntityType: "person", Observations: []string{"works on billing"}},
		{Name: "payroll", EntityType: "system", Observations: []string{"exports on Mondays"}},
		{Name: "Cy", EntityType: "person", Observations: []string{"runs the lunch rota"}},
	}
	q := "Who owns the billing payroll export?"
	graphSources := func(wrap func(mimo.GraphStore) mimo.GraphStore) ([]mimo.Source, *memorytest.Fixture) {
		f := memorytest.New(t, memorytest.Options{NoLLM: true, Configure: func(o *memory.Options) {
			o.Graph = wrap(o.Store.(mimo.GraphStore))
		}})
		_, err := f.Service.CreateEntities(context.Background(), "", entities)
		require.NoError(t, err)
		f.StoreAll(t, "", "The payroll export is owned by the billing team.")
		var out []mimo.Source
		for _, s := range ask(t, f, "", q).Sources {
			if s.Kind == "entity" {
				out = append(out, s)
			}
		}
		return out, f
	}
	oneRead, _ := graphSources(func(g mimo.GraphStore) mimo.GraphStore { return g })
	perWord, _ := graphSources(func(g mimo.GraphStore) mimo.GraphStore { return plainGraph{g} })
	require.NotEmpty(t, oneRead)
	assert.Equal(t, "Ana", oneRead[0].ID, "the entity holding the most words first")
	assert.Equal(t, oneRead, perWord)

	failed, f := graphSources(func(g mimo.GraphStore) mimo.GraphStore { return failingFinder{g} })
	assert.Empty(t, failed)
	assert.Equal(t, 1.0, f.Fallbacks("graph", "error"))
}

// A reused retrieval routed to the newest memories scores them as a fresh
// one would: recency (half-life 30 days) and importance, at the time of
// the answer, not of the retrieval.
func TestAskReusedRecentMemoriesAreScoredNow(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	ctx := context.Background()
	imp := 0.8
	_, err := f.Service.Store(ctx, mimo.StoreRequest{Content: "The payroll export runs on Mondays.", Importance: &imp})
	require.NoError(t, err)
	updated := memorytest.Start
	_, err = f.Service.Store(ctx, mimo.StoreRequest{Content: "Lunch is at noon.", Importance: &imp})
	require.NoError(t, err)
	q := "What happened recently with the payroll export?"
	for _, step := range []time.Duration{0, time.Hour, 10 * 24 * time.Hour, 90 * 24 * time.Hour} {
		f.Clock.Advance(step)
		ans, err := f.Service.Ask(ctx, mimo.AskRequest{Query: q, Limit: 1})
		require.NoError(t, err)
		require.Contains(t, ans.Route.Stores, mimo.RouteRecent)
		require.Len(t, ans.Sources, 2, "the payroll memory found, lunch the newest other")
		age := f.Clock.Now().Sub(updated)
		want := memory.DefaultWeights.Recency*math.Exp2(-float64(age)/float64(30*24*time.Hour)) + memory.DefaultWeights.Importance*imp
		assert.InDelta(t, want, ans.Sources[1].Score, 1e-12, "after %s", f.Clock.Now().Sub(memorytest.Start))
	}
}
