package index

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

func textIDs(hits []mimo.TextHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func doc(id, content string) TextDoc {
	return TextDoc{ID: id, Content: content, Category: mimo.CategoryFact, CreatedAt: time.Unix(100, 0)}
}

func newText(t *testing.T, docs ...TextDoc) *Text {
	t.Helper()
	x := NewText(TextOptions{})
	for _, d := range docs {
		require.NoError(t, x.Upsert(d))
	}
	return x
}

func TestTextTermsAreTheStoresWords(t *testing.T) {
	x := newText(t,
		doc("stem", "The service stores its memories"),
		doc("accent", "Lunch at the Café Crème"),
		doc("abbr", "the production database runs Postgres"),
		doc("case", "KUBERNETES upgrade"),
		doc("long", strings.Repeat("x", 100)+" tail"),
	)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"storing memory", []string{"stem"}},        // stems meet: stores/storing, memories/memory
		{"stored", []string{"stem"}},                // a past tense meets the plural
		{"cafe creme", []string{"accent"}},          // diacritics folded, in the document
		{"crème brûlée", []string{"accent"}},        // and in the query
		{"prod db", []string{"abbr"}},               // abbreviations bring their full forms
		{"kubernetes", []string{"case"}},            // case folded
		{strings.Repeat("x", 90), []string{"long"}}, // long words cut alike
		{"the its at", nil},                         // stop words only: nothing indexed
		{`"OR NEAR(* -) AND memo*`, nil},            // query syntax is separators
		{"zzz", nil},
	} {
		assert.Equal(t, c.want, nilIfEmpty(textIDs(x.Search(c.query, mimo.Filter{}, 10))), "query %q", c.query)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// bm25 is the score Search documents, written out for one document.
func bm25(n, df, tf, docLen, avgLen float64) float64 {
	idf := math.Log(1 + (n-df+0.5)/(df+0.5))
	return idf * tf * (DefaultK1 + 1) / (tf + DefaultK1*(1-DefaultB+DefaultB*docLen/avgLen))
}

func TestTextBM25Scores(t *testing.T) {
	x := newText(t,
		doc("a", "alpha beta"),
		doc("b", "alpha gamma delta"),
		doc("c", "gamma gamma"),
		doc("d", "epsilon"),
	)
	// 4 documents of 2, 3, 2 and 1 terms: average 2.
	hits := x.Search("alpha", mimo.Filter{}, 10)
	require.Len(t, hits, 2)
	assert.Equal(t, "a", hits[0].ID, "the shorter document ranks first")
	assert.InDelta(t, bm25(4, 2, 1, 2, 2), hits[0].Rank, 1e-9)
	assert.InDelta(t, bm25(4, 2, 1, 3, 2), hits[1].Rank, 1e-9)

	hits = x.Search("gamma delta", mimo.Filter{}, 10)
	require.Equal(t, []string{"b", "c"}, textIDs(hits))
	assert.InDelta(t, bm25(4, 2, 1, 3, 2)+bm25(4, 1, 1, 3, 2), hits[0].Rank, 1e-9, "scores of matched terms add")
	assert.InDelta(t, bm25(4, 2, 2, 2, 2), hits[1].Rank, 1e-9, "a repeated term counts its repeats")

	// A rarer word weighs more: epsilon (1 of 4) outranks alpha (2 of 4).
	hits = x.Search("alpha epsilon", mimo.Filter{}, 10)
	require.Equal(t, "d", hits[0].ID)

	assert.Nil(t, x.Search("alpha", mimo.Filter{}, 0), "k <= 0")
	assert.Len(t, x.Search("alpha", mimo.Filter{}, 1), 1, "at most k")
}

func TestTextTiesByIDDescending(t *testing.T) {
	x := newText(t, doc("m1", "walrus"), doc("m3", "walrus"), doc("m2", "walrus"))
	hits := x.Search("walrus", mimo.Filter{}, 10)
	assert.Equal(t, []string{"m3", "m2", "m1"}, textIDs(hits))
	assert.Equal(t, []string{"m3", "m2"}, textIDs(x.Search("walrus", mimo.Filter{}, 2)), "the cut keeps the first of the order")
}

// randomDocs makes n documents over a small vocabulary, with every filter
// field varied, in two namespaces.
func randomDocs(rng *rand.Rand, n int) []TextDoc {
	words := strings.Fields("cache queue replica shard token session backup restore deploy rollback latency budget")
	tags := []string{"ops", "db", "web"}
	cats := append(slices.Clone(mimo.Categories), "custom")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]TextDoc, n)
	for i := range out {
		var content []string
		for range 1 + rng.IntN(8) {
			content = append(content, words[rng.IntN(len(words))])
		}
		var tg []string
		for _, t := range tags {
			if rng.IntN(3) == 0 {
				tg = append(tg, t)
			}
		}
		out[i] = TextDoc{
			ID:         fmt.Sprintf("m%04d", i),
			Namespace:  []string{"", "other"}[rng.IntN(2)],
			Content:    strings.Join(content, " "),
			Category:   cats[rng.IntN(len(cats))],
			Tags:       tg,
			CreatedAt:  base.Add(time.Duration(rng.IntN(100)) * time.Hour),
			Superseded: rng.IntN(5) == 0,
		}
	}
	return out
}

// matchesDoc is mimo.Filter's meaning, written out for one document.
func matchesDoc(d TextDoc, f mimo.Filter) bool {
	nsOf := func(ns string) string { return cmp.Or(ns, mimo.DefaultNamespace) }
	if nsOf(d.Namespace) != nsOf(f.Namespace) {
		return false
	}
	if d.Superseded && !f.IncludeSuperseded {
		return false
	}
	if len(f.Categories) > 0 && !slices.Contains(f.Categories, d.Category) {
		return false
	}
	for _, t := range f.Tags {
		if !slices.Contains(d.Tags, t) {
			return false
		}
	}
	if !f.Since.IsZero() && d.CreatedAt.Before(f.Since) {
		return false
	}
	return f.Until.IsZero() || d.CreatedAt.Before(f.Until)
}

func TestTextFiltersAsTheStoresDo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	docs := randomDocs(rng, 600)
	x := newText(t, docs...)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	filters := []mimo.Filter{
		{},
		{Namespace: "other"},
		{IncludeSuperseded: true},
		{Categories: []mimo.Category{mimo.CategoryFact}},
		{Categories: []mimo.Category{mimo.CategoryPlan, "custom"}},
		{Categories: []mimo.Category{"custom"}},
		{Tags: []string{"ops"}},
		{Tags: []string{"ops", "db"}},
		{Since: base.Add(30 * time.Hour)},
		{Until: base.Add(30 * time.Hour)},
		{Namespace: "other", Since: base.Add(10 * time.Hour), Until: base.Add(60 * time.Hour), Tags: []string{"web"}, IncludeSuperseded: true},
		{Namespace: "nobody"},
	}
	for _, f := range filters {
		for _, q := range []string{"cache", "replica shard", "deploying rollbacks"} {
			terms := queryTerms(q)
			var want []string
			for _, d := range docs {
				dt := termsOf(d.Content)
				if matchesDoc(d, f) && slices.ContainsFunc(terms, func(t string) bool { return slices.Contains(dt.terms, t) }) {
					want = append(want, d.ID)
				}
			}
			got := textIDs(x.Search(q, f, len(docs)))
			slices.Sort(got)
			assert.Equal(t, nilIfEmpty(want), nilIfEmpty(got), "query %q filter %+v", q, f)
		}
	}
}

// sameRanking asserts that a and b answer queries alike, ranks included:
// an index that has seen updates and deletes must rank as one built from
// its final documents.
func sameRanking(t *testing.T, a, b *Text, queries []string, filters []mimo.Filter) {
	t.Helper()
	for _, f := range filters {
		for _, q := range queries {
			ha, hb := a.Search(q, f, 1000), b.Search(q, f, 1000)
			require.Equal(t, textIDs(hb), textIDs(ha), "query %q filter %+v", q, f)
			for i := range ha {
				require.InDelta(t, hb[i].Rank, ha[i].Rank, 1e-9, "query %q: %s", q, ha[i].ID)
			}
		}
	}
}

func TestTextUpdatesAndDeletes(t *testing.T) {
	x := newText(t, doc("a", "the walrus eats fish"), doc("b", "a penguin eats fish"))

	// New content: the old words no longer find it, the new ones do.
	require.NoError(t, x.Upsert(doc("a", "the seal sleeps")))
	assert.Equal(t, []string{"b"}, textIDs(x.Search("walrus fish", mimo.Filter{}, 10)))
	assert.Equal(t, []string{"a"}, textIDs(x.Search("seal", mimo.Filter{}, 10)))
	assert.Equal(t, 2, x.Len())

	// Same content, other fields: the filter sees them.
	d := doc("b", "a penguin eats fish")
	d.Tags, d.Superseded = []string{"bird"}, true
	require.NoError(t, x.Upsert(d))
	assert.Empty(t, x.Search("penguin", mimo.Filter{}, 10), "superseded")
	assert.Equal(t, []string{"b"}, textIDs(x.Search("penguin", mimo.Filter{Tags: []string{"bird"}, IncludeSuperseded: true}, 10)))

	x.Delete("", "b")
	x.Delete("", "b") // twice is harmless
	x.Delete("nowhere", "b")
	assert.Empty(t, x.Search("penguin", mimo.Filter{IncludeSuperseded: true}, 10))
	assert.Equal(t, 1, x.Len())
	assert.Equal(t, 1, x.NamespaceLen(mimo.DefaultNamespace))

	require.NoError(t, x.Upsert(doc("b", "a penguin again")), "a deleted id may come back")
	assert.Equal(t, []string{"b"}, textIDs(x.Search("penguin", mimo.Filter{}, 10)))
	assert.Error(t, x.Upsert(TextDoc{Content: "no id"}))

	x.Delete("", "a")
	x.Delete("", "b")
	assert.Zero(t, x.Len())
	assert.Zero(t, x.Terms(""), "an empty namespace keeps no dictionary")
}

func TestTextCompactionKeepsRanking(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	docs := randomDocs(rng, 2000)
	x := newText(t, docs...)
	final := map[string]TextDoc{}
	for _, d := range docs {
		final[d.ID] = d
	}
	// Delete most, rewrite some: several compactions run on the way.
	more := randomDocs(rng, 2000)
	for i, d := range docs {
		switch i % 5 {
		case 0, 1, 2:
			x.Delete(d.Namespace, d.ID)
			delete(final, d.ID)
		case 3:
			d.Content = more[i].Content
			require.NoError(t, x.Upsert(d))
			final[d.ID] = d
		}
	}
	fresh := NewText(TextOptions{})
	for _, d := range final {
		require.NoError(t, fresh.Upsert(d))
	}
	assert.Equal(t, len(final), x.Len())
	s := x.spaces[mimo.DefaultNamespace]
	assert.Less(t, s.nDead*4, len(s.ids)+minCompact, "compaction ran")
	for _, p := range s.terms {
		for _, d := range p.docs {
			require.Less(t, int(d), len(s.ids))
		}
	}
	sameRanking(t, x, fresh, []string{"cache", "replica shard", "backup restore latency", "budgets"},
		[]mimo.Filter{{}, {Namespace: "other"}, {IncludeSuperseded: true, Tags: []string{"db"}}})
}

func TestTextConcurrentUse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	docs := randomDocs(rng, 800)
	x := NewText(TextOptions{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			// Each writer owns a quarter of the ids: adds, rewrites and
			// deletes some of them.
			for i := w; i < len(docs); i += 4 {
				d := docs[i]
				assert.NoError(t, x.Upsert(d))
				if i%3 == 0 {
					x.Delete(d.Namespace, d.ID)
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for i := range 200 {
				for _, h := range x.Search([]string{"cache", "shard token", "deploy"}[i%3], mimo.Filter{IncludeSuperseded: true}, 20) {
					assert.NotEmpty(t, h.ID)
				}
			}
		})
	}
	wg.Wait()
	fresh := NewText(TextOptions{})
	for i, d := range docs {
		if i%3 != 0 {
			require.NoError(t, fresh.Upsert(d))
		}
	}
	assert.Equal(t, fresh.Len(), x.Len())
	sameRanking(t, x, fresh, []string{"cache", "shard token", "rollback budget"}, []mimo.Filter{{IncludeSuperseded: true}, {Namespace: "other"}})
}

func TestFollowerFeedsTheTextIndex(t *testing.T) {
	st := &fakeStore{}
	withText := func(m *mimo.Memory, content string) *mimo.Memory { m.Content = content; return m }
	a := withText(memory("", "a", vec(1, 0)), "the walrus")
	b := withText(memory("", "b", nil), "a walrus waiting for its vector")
	c := withText(memory("other", "c", vec(0, 1)), "walrus of another namespace")
	st.append(upsert(a), upsert(b), upsert(c))
	x, tx := New(Options{Dim: 2}), NewText(TextOptions{})
	f := NewFollower(FollowerOptions{Store: st, Index: x, Text: tx, Model: testModel})
	require.Same(t, tx, f.Text())
	ctx := context.Background()
	require.NoError(t, f.Load(ctx))
	walrus := func(ns string) []string {
		got := textIDs(tx.Search("walrus", mimo.Filter{Namespace: ns}, 10))
		slices.Sort(got)
		return got
	}
	assert.Equal(t, []string{"a", "b"}, walrus(""), "a memory without a vector is found by its words")
	assert.Equal(t, []string{"c"}, walrus("other"))
	assert.Equal(t, 1, x.NamespaceLen(""), "only a has a vector")

	a2 := withText(memory("", "a", vec(1, 0)), "the seal")
	st.append(upsert(a2), del("other", "c"), mimo.Change{Op: mimo.OpUpsert, ID: "b", Namespace: ""})
	require.NoError(t, f.Sync(ctx))
	assert.Empty(t, walrus(""), "an update and a memory gone since its upsert")
	assert.Empty(t, walrus("other"), "a delete")
	assert.Equal(t, []string{"a"}, textIDs(tx.Search("seal", mimo.Filter{}, 10)))

	require.NoError(t, f.Load(ctx), "loading again")
	assert.Equal(t, 1, tx.Len())
	assert.Nil(t, NewFollower(FollowerOptions{Store: st, Index: x}).Text())
}
