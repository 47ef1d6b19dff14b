package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	mimo "mimo/system"
)

func vec(xs ...float32) []float32 { return xs }

func mustUpsert(t testing.TB, x *Index, e Entry) {
	t.Helper()
	if err := x.Upsert(e); err != nil {
		t.Fatalf("Upsert(%s/%s): %v", e.Namespace, e.ID, err)
	}
}

func ids(hits []mimo.VectorHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestNewDefaults(t *testing.T) {
	x := New(Options{})
	if x.Dim() != 384 || x.workers < 1 {
		t.Fatalf("zero options: dim %d workers %d", x.Dim(), x.workers)
	}
	if x.Len() != 0 || x.NamespaceLen("") != 0 {
		t.Fatal("new index is not empty")
	}
	if hits := x.Search(make([]float32, 384), mimo.Filter{}, 10); hits != nil {
		t.Fatalf("search of an empty index: %v", hits)
	}
}

func TestUpsertRejectsBadEntries(t *testing.T) {
	x := New(Options{Dim: 3})
	for name, e := range map[string]Entry{
		"short vector": {ID: "a", Vector: vec(1, 0)},
		"long vector":  {ID: "a", Vector: vec(1, 0, 0, 0)},
		"no vector":    {ID: "a"},
		"no id":        {Vector: vec(1, 0, 0)},
		"NaN":          {ID: "a", Vector: vec(float32(math.NaN()), 0, 0)},
		"Inf":          {ID: "a", Vector: vec(float32(math.Inf(1)), 0, 0)},
	} {
		if err := x.Upsert(e); mimo.ErrorCode(err) != mimo.EINVALID {
			t.Errorf("%s: err %v, want EINVALID", name, err)
		}
	}
	if x.Len() != 0 {
		t.Fatalf("rejected entries were stored: Len %d", x.Len())
	}
}

func TestUpsertReplacesAndNormalises(t *testing.T) {
	x := New(Options{Dim: 2})
	mustUpsert(t, x, Entry{ID: "a", Vector: vec(3, 4)})
	mustUpsert(t, x, Entry{ID: "a", Vector: vec(0, 2)})
	if x.Len() != 1 || x.NamespaceLen("default") != 1 {
		t.Fatalf("Len %d, NamespaceLen %d after replacing", x.Len(), x.NamespaceLen("default"))
	}
	if s, ok := x.Similarity("", "a", vec(0, 5)); !ok || math.Abs(s-1) > 1e-6 {
		t.Fatalf("Similarity with the replaced vector: %v %v, want 1", s, ok)
	}
	// The caller's slice is copied, not kept.
	v := vec(1, 0)
	mustUpsert(t, x, Entry{ID: "b", Vector: v})
	v[0], v[1] = 0, 1
	if s, _ := x.Similarity("", "b", vec(1, 0)); math.Abs(s-1) > 1e-6 {
		t.Fatalf("index follows the caller's slice: similarity %v", s)
	}
}

func TestZeroVectorHasCosineZero(t *testing.T) {
	x := New(Options{Dim: 2})
	mustUpsert(t, x, Entry{ID: "zero", Vector: vec(0, 0)})
	mustUpsert(t, x, Entry{ID: "one", Vector: vec(1, 0)})
	hits := x.Search(vec(1, 0), mimo.Filter{}, 5)
	if len(hits) != 2 || hits[0].ID != "one" || hits[1].Score != 0 {
		t.Fatalf("hits %v", hits)
	}
	if s, ok := x.Similarity("", "zero", vec(1, 0)); !ok || s != 0 {
		t.Fatalf("Similarity with a zero vector: %v %v", s, ok)
	}
	if hits := x.Search(vec(0, 0), mimo.Filter{}, 5); hits != nil {
		t.Fatalf("zero query ranks nothing, got %v", hits)
	}
}

func TestSearchArguments(t *testing.T) {
	x := New(Options{Dim: 2})
	mustUpsert(t, x, Entry{ID: "a", Vector: vec(1, 0)})
	for name, hits := range map[string][]mimo.VectorHit{
		"k 0":           x.Search(vec(1, 0), mimo.Filter{}, 0),
		"k -1":          x.Search(vec(1, 0), mimo.Filter{}, -1),
		"zero query":    x.Search(vec(0, 0), mimo.Filter{}, 5),
		"wrong dim":     x.Search(vec(1, 0, 0), mimo.Filter{}, 5),
		"NaN query":     x.Search(vec(float32(math.NaN()), 0), mimo.Filter{}, 5),
		"other ns":      x.Search(vec(1, 0), mimo.Filter{Namespace: "other"}, 5),
		"filtered away": x.Search(vec(1, 0), mimo.Filter{Tags: []string{"x"}}, 5),
	} {
		if hits != nil {
			t.Errorf("%s: %v, want nil", name, hits)
		}
	}
	if hits := x.Search(vec(1, 0), mimo.Filter{}, math.MaxInt); len(hits) != 1 {
		t.Fatalf("k above the namespace size: %v", hits)
	}
}

func TestSimilarity(t *testing.T) {
	x := New(Options{Dim: 2})
	mustUpsert(t, x, Entry{ID: "a", Namespace: "n", Vector: vec(1, 1)})
	if s, ok := x.Similarity("n", "a", vec(1, 0)); !ok || math.Abs(s-math.Sqrt2/2) > 1e-6 {
		t.Fatalf("Similarity = %v %v, want %v", s, ok, math.Sqrt2/2)
	}
	for name, ok := range map[string]bool{
		"missing id":   second(x.Similarity("n", "b", vec(1, 0))),
		"other ns":     second(x.Similarity("", "a", vec(1, 0))),
		"wrong dim":    second(x.Similarity("n", "a", vec(1))),
		"NaN query":    second(x.Similarity("n", "a", vec(float32(math.NaN()), 1))),
		"missing ns 2": second(x.Similarity("zzz", "a", vec(1, 0))),
	} {
		if ok {
			t.Errorf("%s: ok, want false", name)
		}
	}
}

func second(_ float64, ok bool) bool { return ok }

func TestDeleteMovesLastRowIntoHole(t *testing.T) {
	const dim = 4
	x := New(Options{Dim: dim})
	rng := rand.New(rand.NewPCG(3, 4))
	vecs := map[string][]float32{}
	for i := range 10 {
		id := fmt.Sprintf("id%d", i)
		vecs[id] = randomVector(dim, rng)
		mustUpsert(t, x, Entry{ID: id, Vector: vecs[id], Category: mimo.Categories[i%5], Tags: []string{id}})
	}
	x.Delete("", "id3")
	x.Delete("", "id0")
	x.Delete("", "nope")
	x.Delete("nope", "id1")
	if x.Len() != 8 {
		t.Fatalf("Len %d after two deletes, want 8", x.Len())
	}
	for id, v := range vecs {
		s, ok := x.Similarity("", id, v)
		deleted := id == "id3" || id == "id0"
		// Scores come from the codes: within the residual of 1.
		if ok == deleted || ok && math.Abs(s-1) > maxResid(x) {
			t.Fatalf("%s: similarity with itself %v %v (deleted %v)", id, s, ok, deleted)
		}
		// Metadata moved with the row.
		hits := x.Search(v, mimo.Filter{Tags: []string{id}}, 3)
		if deleted != (len(hits) == 0) || !deleted && hits[0].ID != id {
			t.Fatalf("%s: search by its own tag gave %v", id, hits)
		}
	}
	for id := range vecs {
		x.Delete("default", id)
	}
	if x.Len() != 0 || x.NamespaceLen("") != 0 || len(x.spaces) != 0 {
		t.Fatalf("after deleting all: Len %d spaces %d", x.Len(), len(x.spaces))
	}
}

func TestNamespaceIsolation(t *testing.T) {
	x := New(Options{Dim: 2})
	mustUpsert(t, x, Entry{ID: "same", Namespace: "a", Vector: vec(1, 0)})
	mustUpsert(t, x, Entry{ID: "only-a", Namespace: "a", Vector: vec(1, 0.1)})
	mustUpsert(t, x, Entry{ID: "same", Namespace: "b", Vector: vec(0, 1)})
	mustUpsert(t, x, Entry{ID: "d", Vector: vec(1, 0)})
	if got := ids(x.Search(vec(1, 0), mimo.Filter{Namespace: "b"}, 10)); !slices.Equal(got, []string{"same"}) {
		t.Fatalf("namespace b: %v", got)
	}
	if s, _ := x.Similarity("b", "same", vec(1, 0)); math.Abs(s) > 1e-6 {
		t.Fatalf("namespace b's 'same' has a's vector: %v", s)
	}
	if got := ids(x.Search(vec(1, 0), mimo.Filter{Namespace: "a"}, 10)); !slices.Equal(got, []string{"same", "only-a"}) {
		t.Fatalf("namespace a: %v", got)
	}
	if got := ids(x.Search(vec(1, 0), mimo.Filter{}, 10)); !slices.Equal(got, []string{"d"}) {
		t.Fatalf(`namespace "" is not "default": %v`, got)
	}
	x.Delete("a", "same")
	if x.NamespaceLen("b") != 1 || x.NamespaceLen("a") != 1 || x.Len() != 3 {
		t.Fatalf("delete in a touched b: a %d b %d total %d", x.NamespaceLen("a"), x.NamespaceLen("b"), x.Len())
	}
}

func TestFilters(t *testing.T) {
	x := New(Options{Dim: 2})
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	entries := []Entry{
		{ID: "fact1", Category: mimo.CategoryFact, Tags: []string{"go", "db"}, CreatedAt: day(1)},
		{ID: "fact2", Category: mimo.CategoryFact, Tags: []string{"go"}, CreatedAt: day(2)},
		{ID: "plan3", Category: mimo.CategoryPlan, Tags: []string{"db"}, CreatedAt: day(3)},
		{ID: "obs4", Category: mimo.CategoryObservation, CreatedAt: day(4)},
		{ID: "old5", Category: mimo.CategoryFact, Tags: []string{"go", "db"}, CreatedAt: day(5), Superseded: true},
		{ID: "odd6", Category: "custom", Tags: []string{"db", "go", "x"}, CreatedAt: day(6)},
	}
	for i, e := range entries {
		e.Vector = vec(1, float32(i)/10) // a fixed order: fact1 best
		mustUpsert(t, x, e)
	}
	for _, tc := range []struct {
		name string
		f    mimo.Filter
		want []string
	}{
		{"zero filter hides superseded", mimo.Filter{}, []string{"fact1", "fact2", "plan3", "obs4", "odd6"}},
		{"include superseded", mimo.Filter{IncludeSuperseded: true}, []string{"fact1", "fact2", "plan3", "obs4", "old5", "odd6"}},
		{"one category", mimo.Filter{Categories: []mimo.Category{mimo.CategoryFact}}, []string{"fact1", "fact2"}},
		{"any of categories", mimo.Filter{Categories: []mimo.Category{mimo.CategoryPlan, mimo.CategoryObservation}}, []string{"plan3", "obs4"}},
		{"unknown category", mimo.Filter{Categories: []mimo.Category{"custom"}}, []string{"odd6"}},
		{"known and unknown", mimo.Filter{Categories: []mimo.Category{"custom", mimo.CategoryPlan}}, []string{"plan3", "odd6"}},
		{"category nobody has", mimo.Filter{Categories: []mimo.Category{mimo.CategoryEpisode}}, nil},
		{"one tag", mimo.Filter{Tags: []string{"db"}}, []string{"fact1", "plan3", "odd6"}},
		{"all of tags", mimo.Filter{Tags: []string{"db", "go"}}, []string{"fact1", "odd6"}},
		{"tags and superseded", mimo.Filter{Tags: []string{"db", "go"}, IncludeSuperseded: true}, []string{"fact1", "old5", "odd6"}},
		{"since is inclusive", mimo.Filter{Since: day(3)}, []string{"plan3", "obs4", "odd6"}},
		{"until is exclusive", mimo.Filter{Until: day(3)}, []string{"fact1", "fact2"}},
		{"time range", mimo.Filter{Since: day(2), Until: day(4)}, []string{"fact2", "plan3"}},
		{"everything at once", mimo.Filter{Categories: []mimo.Category{mimo.CategoryFact, "custom"}, Tags: []string{"go"}, Since: day(2), Until: day(7), IncludeSuperseded: true}, []string{"fact2", "old5", "odd6"}},
	} {
		got := ids(x.Search(vec(1, 0), tc.f, 10))
		if len(got) == 0 {
			got = nil
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestEqualScoresOrderedByID(t *testing.T) {
	for _, n := range []int{50, 3000} { // below and above minQuantRows
		x := New(Options{Dim: 8, Workers: 3})
		rng := rand.New(rand.NewPCG(5, 6))
		perm := rng.Perm(n)
		v := randomVector(8, rng)
		for _, i := range perm {
			mustUpsert(t, x, Entry{ID: fmt.Sprintf("%05d", i), Vector: v})
		}
		for _, k := range []int{1, 7, n, math.MaxInt} {
			hits := x.Search(v, mimo.Filter{}, k)
			if len(hits) != min(k, n) {
				t.Fatalf("n %d k %d: %d hits", n, k, len(hits))
			}
			for i, h := range hits {
				if want := fmt.Sprintf("%05d", i); h.ID != want {
					t.Fatalf("n %d k %d: hit %d is %s, want %s", n, k, i, h.ID, want)
				}
			}
		}
	}
}

func TestEntryFromMemory(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := &mimo.Memory{
		ID: "m1", Namespace: "ns", Category: mimo.CategoryPlan, Tags: []string{"a"}, CreatedAt: created,
		SupersededBy: "m2",
		Embedding:    mimo.Embedding{Vector: vec(1, 2, 3), Model: "x", Dim: 3},
	}
	e, ok := EntryFromMemory(m)
	if !ok || e.ID != "m1" || e.Namespace != "ns" || e.Category != mimo.CategoryPlan || !e.Superseded ||
		!e.CreatedAt.Equal(created) || !slices.Equal(e.Tags, []string{"a"}) || len(e.Vector) != 3 {
		t.Fatalf("EntryFromMemory = %+v, %v", e, ok)
	}
	for name, m := range map[string]*mimo.Memory{
		"nil memory":    nil,
		"no vector":     {ID: "m"},
		"dim mismatch":  {ID: "m", Embedding: mimo.Embedding{Vector: vec(1, 2), Dim: 3}},
		"empty vector":  {ID: "m", Embedding: mimo.Embedding{Vector: []float32{}, Dim: 0}},
		"dim no vector": {ID: "m", Embedding: mimo.Embedding{Dim: 3}},
	} {
		if _, ok := EntryFromMemory(m); ok {
			t.Errorf("%s: ok, want false", name)
		}
	}
	m.SupersededBy = ""
	if e, _ := EntryFromMemory(m); e.Superseded {
		t.Fatal("memory without superseded_by is superseded")
	}
}

// Writers and readers at once, for the race detector; the final state is
// checked against what the writers did.
func TestConcurrentUse(t *testing.T) {
	const dim, writers, perWriter = 16, 4, 150
	x := New(Options{Dim: dim, Workers: 2})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			ns := fmt.Sprintf("ns%d", w%2)
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := x.Upsert(Entry{ID: id, Namespace: ns, Vector: randomVector(dim, rng), Category: mimo.CategoryFact}); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					x.Delete(ns, id)
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 3 {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := randomVector(dim, rng)
				hits := x.Search(q, mimo.Filter{Namespace: fmt.Sprintf("ns%d", r%2)}, 10)
				for i := 1; i < len(hits); i++ {
					if hits[i].Score > hits[i-1].Score {
						t.Error("hits out of order")
						return
					}
				}
				x.Similarity("ns0", "w0-1", q)
				x.Len()
				x.NamespaceLen("ns1")
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	want := writers * (perWriter - (perWriter+2)/3)
	if x.Len() != want || x.NamespaceLen("ns0")+x.NamespaceLen("ns1") != want {
		t.Fatalf("Len %d, want %d", x.Len(), want)
	}
}

// Ranking returns the importance and update time an entry was last stored
// with, and nothing for entries the namespace does not hold.
func TestRanking(t *testing.T) {
	x := New(Options{Dim: 2})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123, time.UTC)
	mustUpsert(t, x, Entry{ID: "a", Vector: vec(1, 0), Importance: 0.3, UpdatedAt: t0})
	mustUpsert(t, x, Entry{ID: "b", Vector: vec(0, 1), Importance: 0.9, UpdatedAt: t0.Add(time.Hour)})
	mustUpsert(t, x, Entry{ID: "a", Vector: vec(1, 1), Importance: 0.7, UpdatedAt: t0.Add(2 * time.Hour)})
	mustUpsert(t, x, Entry{ID: "c", Vector: vec(1, 1)}) // no update time: not known
	mustUpsert(t, x, Entry{ID: "d", Namespace: "other", Vector: vec(1, 1), UpdatedAt: t0})
	x.Delete("", "b")
	got := x.Ranking("", []string{"a", "b", "c", "d", "a"})
	want := []Ranked{
		{Importance: 0.7, UpdatedAt: t0.Add(2 * time.Hour), OK: true}, {}, {}, {},
		{Importance: 0.7, UpdatedAt: t0.Add(2 * time.Hour), OK: true},
	}
	for i := range want {
		if got[i].OK != want[i].OK || got[i].Importance != want[i].Importance || !got[i].UpdatedAt.Equal(want[i].UpdatedAt) {
			t.Fatalf("Ranking[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if r := x.Ranking("nowhere", []string{"a"}); len(r) != 1 || r[0].OK {
		t.Fatalf("Ranking of a namespace with no entries: %+v", r)
	}
}

// Similarities answers as Similarity does for each ID, found or not.
func TestSimilarities(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := New(Options{Dim: 16})
	for i := range 20 {
		mustUpsert(t, x, Entry{ID: fmt.Sprintf("id%d", i), Vector: randomVector(16, rng)})
	}
	q := randomVector(16, rng)
	ids := []string{"id3", "missing", "id19", "id0", "id3"}
	scores, found := x.Similarities("", ids, q)
	for i, id := range ids {
		s, ok := x.Similarity("", id, q)
		if s != scores[i] || ok != found[i] {
			t.Fatalf("%s: Similarities %v %v, Similarity %v %v", id, scores[i], found[i], s, ok)
		}
	}
	if found[1] || !found[0] || scores[0] == 0 {
		t.Fatalf("found %v scores %v", found, scores)
	}
	if _, found := x.Similarities("", ids, q[:3]); slices.Contains(found, true) {
		t.Fatal("a query of the wrong length found entries")
	}
}
