package memory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/memory/memorytest"
)

// The rules of the memory model, at the service: each case stores what it
// needs on a new fixture and states one rule.

func TestStoreDeduplicates(t *testing.T) {
	const first = "Staging runs on the host db-2."
	cases := []struct {
		name string
		// then is stored after first, in namespace ns with category cat.
		then     string
		ns       string
		cat      mimo.Category
		created  bool // a new memory, rather than the existing one
		dupOfOld bool // reported as a near-duplicate of first
	}{
		{name: "identical content returns the existing memory", then: first, ns: "team"},
		{name: "identical content in another namespace is a new memory", then: first, ns: "other", created: true},
		{name: "a near-duplicate is stored and reported", then: "staging runs on the host DB-2!", ns: "team", created: true, dupOfOld: true},
		{name: "a near-duplicate of another category is not reported", then: "staging runs on the host DB-2!", ns: "team",
			cat: mimo.CategoryPlan, created: true},
		{name: "a near-duplicate in another namespace is not reported", then: "staging runs on the host DB-2!", ns: "other", created: true},
		{name: "different content is no duplicate", then: "The team lunch is on Thursdays.", ns: "team", created: true},
	}
	for _, c := range cases {
		for _, way := range []string{"Store", "StoreBatch"} {
			t.Run(c.name+"/"+way, func(t *testing.T) {
				f := memorytest.New(t, memorytest.Options{})
				ctx := context.Background()
				old := f.StoreAll(t, "team", first)[0]
				req := mimo.StoreRequest{Namespace: c.ns, Content: c.then, Category: c.cat}
				var res *mimo.StoreResult
				var err error
				if way == "Store" {
					res, err = f.Service.Store(ctx, req)
				} else {
					// Beside an unrelated memory of the same namespace
					// and category: a batch checks its items together.
					var items []mimo.BatchItemResult
					items, err = f.Service.StoreBatch(ctx, []mimo.StoreRequest{
						{Namespace: c.ns, Content: "Backups run nightly at two.", Category: c.cat}, req})
					require.NoError(t, err)
					require.NoError(t, items[1].Err)
					res = items[1].Result
					assert.Empty(t, items[0].Result.DuplicateOf)
				}
				require.NoError(t, err)
				assert.Equal(t, c.created, res.Created)
				if !c.created {
					assert.Equal(t, old, res.Memory.ID)
				} else {
					assert.NotEqual(t, old, res.Memory.ID)
				}
				if c.dupOfOld {
					assert.Equal(t, old, res.DuplicateOf)
				} else {
					assert.Empty(t, res.DuplicateOf)
				}
				want := map[bool]int{true: 2, false: 1}[c.created && c.ns == "team"]
				if way == "StoreBatch" && c.ns == "team" {
					want++
				}
				n, err := f.Store.CountMemories(ctx, "team")
				require.NoError(t, err)
				assert.EqualValues(t, want, n)
			})
		}
	}
}

func TestStoreBatchDeduplicatesWithinTheBatch(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{})
	res, err := f.Service.StoreBatch(context.Background(), []mimo.StoreRequest{
		{Namespace: "b", Content: "said twice"}, {Namespace: "b", Content: "said once"},
		{Namespace: "b", Content: "said twice"}, {Namespace: "b", Content: ""},
	})
	require.NoError(t, err)
	require.Len(t, res, 4)
	require.NoError(t, res[0].Err)
	assert.True(t, res[0].Result.Created)
	require.NoError(t, res[2].Err)
	assert.False(t, res[2].Result.Created, "a repeat resolves to the first")
	assert.Equal(t, res[0].Result.Memory.ID, res[2].Result.Memory.ID)
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(res[3].Err), "one bad item fails alone")
	assert.True(t, res[1].Result.Created)
}

func TestSupersede(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{})
	svc, ctx := f.Service, context.Background()
	old := f.StoreAll(t, "team", "The deploy window is on Tuesdays.")[0]
	res, err := svc.Store(ctx, mimo.StoreRequest{Namespace: "team", Content: "The deploy window moved to Wednesdays.", Supersedes: old})
	require.NoError(t, err)
	current := res.Memory.ID
	assert.Equal(t, old, res.Memory.Supersedes)

	got, err := svc.Get(ctx, "team", old)
	require.NoError(t, err, "a superseded memory is still readable")
	assert.Equal(t, current, got.SupersededBy)
	page, err := svc.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "team"}})
	require.NoError(t, err)
	assert.Equal(t, []string{current}, memoryIDs(page.Memories), "out of default results")
	page, err = svc.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "team", IncludeSuperseded: true}})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{old, current}, memoryIDs(page.Memories))
	found, err := svc.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: "team"}, Query: "deploy window"})
	require.NoError(t, err)
	assert.Equal(t, []string{current}, resultIDs(found), "search leaves it out too")

	for name, r := range map[string]mimo.StoreRequest{
		"an unknown memory":             {Namespace: "team", Content: "supersedes nothing", Supersedes: "0192f1c2-0000-7000-8000-000000000000"},
		"a memory of another namespace": {Namespace: "other", Content: "supersedes across", Supersedes: current},
	} {
		_, err := svc.Store(ctx, r)
		assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err), "superseding %s", name)
	}

	require.NoError(t, svc.Delete(ctx, "team", current))
	page, err = svc.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "team"}})
	require.NoError(t, err)
	assert.Equal(t, []string{old}, memoryIDs(page.Memories), "deleting the new memory makes the old one current")
}

// Nothing done in one namespace reads or touches another's memories or
// graph.
func TestNamespacesNeverCross(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{})
	svc, ctx := f.Service, context.Background()
	f.LLM.Reply("The code is 4471 [1].")
	secret := f.StoreAll(t, "alice", "Alice's locker code is 4471.")[0]
	_, err := svc.CreateEntities(ctx, "alice", []mimo.Entity{{Name: "Alice", EntityType: "person", Observations: []string{"locker 4471"}}})
	require.NoError(t, err)

	const bob = "bob"
	content := "bob's new content"
	// Reads first: the last case stores in bob.
	cases := []struct {
		name string
		call func() error
	}{
		{"get", func() error {
			_, err := svc.Get(ctx, bob, secret)
			return want(mimo.ENOTFOUND, err)
		}},
		{"update", func() error {
			_, err := svc.Update(ctx, bob, secret, mimo.UpdateRequest{Content: &content})
			return want(mimo.ENOTFOUND, err)
		}},
		{"delete", func() error { return want(mimo.ENOTFOUND, svc.Delete(ctx, bob, secret)) }},
		{"list", func() error {
			page, err := svc.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: bob, IncludeSuperseded: true}})
			return none(err, len(page.Memories))
		}},
		{"search", func() error {
			page, err := svc.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: bob}, Query: "locker code 4471"})
			return none(err, len(page.Results))
		}},
		{"ask", func() error {
			ans, err := svc.Ask(ctx, mimo.AskRequest{Namespace: bob, Query: "who has locker code 4471?"})
			if err == nil && (len(ans.Sources) > 0 || strings.Contains(strings.Join(f.LLM.Prompts(), "\n"), "Alice")) {
				return errors.New("ask found alice's memory or entity")
			}
			return err
		}},
		{"stats", func() error {
			st, err := svc.Stats(ctx, bob)
			return none(err, int(st.Memories))
		}},
		{"read graph", func() error {
			g, err := svc.ReadGraph(ctx, bob, "", 0)
			return none(err, len(g.Entities))
		}},
		{"search nodes", func() error {
			g, err := svc.SearchNodes(ctx, bob, "alice", 0)
			return none(err, len(g.Entities))
		}},
		{"open nodes", func() error {
			g, err := svc.OpenNodes(ctx, bob, []string{"Alice"})
			return none(err, len(g.Entities))
		}},
		{"delete entities", func() error {
			deleted, err := svc.DeleteEntities(ctx, bob, []string{"Alice"})
			return none(err, len(deleted))
		}},
		{"store the same content", func() error {
			res, err := svc.Store(ctx, mimo.StoreRequest{Namespace: bob, Content: "Alice's locker code is 4471."})
			if err == nil && (!res.Created || res.DuplicateOf != "") {
				return errors.New("storing in bob met alice's memory")
			}
			return err
		}},
	}
	for _, c := range cases {
		assert.NoError(t, c.call(), c.name)
	}

	// Alice's data is as it was.
	got, err := svc.Get(ctx, "alice", secret)
	require.NoError(t, err)
	assert.Equal(t, "Alice's locker code is 4471.", got.Content)
	g, err := svc.ReadGraph(ctx, "alice", "", 0)
	require.NoError(t, err)
	assert.Len(t, g.Entities, 1)
}

// want returns nil when err has code, else an error saying what came.
func want(code string, err error) error {
	if mimo.ErrorCode(err) == code {
		return nil
	}
	return errors.Join(errors.New("want "+code), err)
}

// none returns err, or an error when n things were found.
func none(err error, n int) error {
	if err == nil && n > 0 {
		return errors.New("found another namespace's data")
	}
	return err
}

// Ask routes by the question's words (memory/router.go): memories always;
// the graph too for who and relation questions; the newest memories too
// for questions about what happened lately. The graph and the recent list
// are only read when routed to.
func TestAskRouting(t *testing.T) {
	cases := []struct {
		query      string
		stores     []string
		confidence float64
	}{
		{"Where does staging run?", []string{mimo.RouteMemories}, 0.5},
		{"Who leads billing?", []string{mimo.RouteMemories, mimo.RouteGraph}, 0.65},
		{"How is Ana related to the billing team?", []string{mimo.RouteMemories, mimo.RouteGraph}, 0.65},
		{"What happened lately?", []string{mimo.RouteMemories, mimo.RouteRecent}, 0.65},
		{"What is the latest on staging today?", []string{mimo.RouteMemories, mimo.RouteRecent}, 0.8},
		{"Who changed staging yesterday?", []string{mimo.RouteMemories, mimo.RouteGraph, mimo.RouteRecent}, 0.8},
	}
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	f.StoreAll(t, "", "Ana leads the billing team.", "Staging runs on the host db-2.", "The office plants need water.")
	_, err := f.Service.CreateEntities(context.Background(), "", []mimo.Entity{
		{Name: "Ana", EntityType: "person", Observations: []string{"leads billing", "changed staging"}},
	})
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			ans := ask(t, f, "", c.query)
			assert.Equal(t, c.stores, ans.Route.Stores)
			assert.InDelta(t, c.confidence, ans.Route.Confidence, 1e-9)
			kinds := map[string]int{}
			for _, s := range ans.Sources {
				kinds[s.Kind]++
			}
			routedToGraph := len(c.stores) > 1 && c.stores[1] == mimo.RouteGraph
			if !routedToGraph {
				assert.Zero(t, kinds["entity"], "the graph is only asked when routed to")
			}
		})
	}
	// "What happened lately?" shares no word with any memory: only the
	// recent route finds them.
	lately := ask(t, f, "", "What happened lately?")
	assert.Len(t, lately.Sources, 3, "the newest memories answer")
	plain := ask(t, f, "", "What happened?")
	assert.Empty(t, plain.Sources, "without the recent route nothing matches")
}

// Every way Ask answers without the model is degraded, says why, and is
// counted under its reason.
func TestAskFallbacks(t *testing.T) {
	cases := []struct {
		name   string
		opts   memorytest.Options
		before func(t *testing.T, f *memorytest.Fixture) // after the memory is stored
		reason string                                    // the fallback counted
		says   string                                    // in Answer.Reason
		answer string                                    // in Answer.Answer
	}{
		{name: "no LLM", opts: memorytest.Options{NoLLM: true},
			reason: "no_llm", says: "no language model", answer: "midnight"},
		{name: "LLM failing, nothing cached",
			before: func(t *testing.T, f *memorytest.Fixture) { f.LLM.Fail(errors.New("connection refused")) },
			reason: "llm_failed", says: "failed", answer: "midnight"},
		{name: "LLM failing, the answer cached", before: func(t *testing.T, f *memorytest.Fixture) {
			f.LLM.Reply("At midnight, as planned [1].")
			ask(t, f, "", "When does the backup run?")
			f.LLM.Fail(errors.New("timeout"))
		}, reason: "cached_answer", says: "earlier answer", answer: "At midnight, as planned [1]."},
		{name: "LLM replying nothing", before: func(t *testing.T, f *memorytest.Fixture) { f.LLM.Reply("") },
			reason: "llm_failed", says: "failed", answer: "midnight"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := memorytest.New(t, c.opts)
			id := f.StoreAll(t, "", "The backup job runs at midnight.")[0]
			if c.before != nil {
				c.before(t, f)
			}
			ans := ask(t, f, "", "When does the backup run?")
			assert.True(t, ans.Degraded)
			assert.Contains(t, ans.Reason, c.says)
			assert.Contains(t, ans.Answer, c.answer)
			require.NotEmpty(t, ans.Sources)
			assert.Equal(t, id, ans.Sources[0].ID, "a degraded answer still cites its memory")
			assert.Equal(t, 1.0, f.Fallbacks("llm", c.reason))
		})
	}
}

func memoryIDs(ms []*mimo.Memory) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func resultIDs(p *mimo.SearchPage) []string {
	out := make([]string, len(p.Results))
	for i, r := range p.Results {
		out[i] = r.Memory.ID
	}
	return out
}
