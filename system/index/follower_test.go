package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mimo "mimo/system"
)

// fakeStore serves a change log from memory. It embeds mimo.Store so it
// satisfies the interface; only Changes and LastChange are implemented.
type fakeStore struct {
	mimo.Store

	mu    sync.Mutex
	log   []mimo.Change
	err   error
	calls atomic.Int64
	// gate, when set, is received from before each Changes call answers.
	gate chan struct{}
	// entered is signalled when a Changes call starts waiting at gate.
	entered chan struct{}
}

func (s *fakeStore) append(cs ...mimo.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		c.Seq = int64(len(s.log) + 1)
		s.log = append(s.log, c)
	}
}

func (s *fakeStore) Changes(ctx context.Context, after int64, limit int) ([]mimo.Change, error) {
	s.calls.Add(1)
	if s.gate != nil {
		if s.entered != nil {
			s.entered <- struct{}{}
		}
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	var out []mimo.Change
	for _, c := range s.log {
		if c.Seq > after && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *fakeStore) LastChange(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.log)), nil
}

const testModel = "model-a"

func memory(ns, id string, v []float32) *mimo.Memory {
	return &mimo.Memory{
		ID: id, Namespace: ns, Category: mimo.CategoryFact, CreatedAt: time.Unix(100, 0),
		Embedding: mimo.Embedding{Vector: v, Model: testModel, Dim: len(v)},
	}
}

func upsert(m *mimo.Memory) mimo.Change {
	return mimo.Change{Op: mimo.OpUpsert, ID: m.ID, Namespace: m.Namespace, Memory: m}
}

func del(ns, id string) mimo.Change {
	return mimo.Change{Op: mimo.OpDelete, ID: id, Namespace: ns}
}

func searchIDs(x *Index, ns string, f mimo.Filter) []string {
	f.Namespace = ns
	got := ids(x.Search(vec(1, 0), f, 100))
	slices.Sort(got)
	return got
}

func TestFollowerLoadAcrossPages(t *testing.T) {
	st := &fakeStore{}
	for i := range 10 {
		st.append(upsert(memory("", fmt.Sprintf("m%02d", i), vec(1, float32(i)))))
	}
	x := New(Options{Dim: 2})
	f := NewFollower(FollowerOptions{Store: st, Index: x, PageSize: 3, Model: testModel})
	if f.Loaded() || f.Seq() != 0 {
		t.Fatal("new follower claims progress")
	}
	if err := f.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !f.Loaded() || f.Seq() != 10 || x.Len() != 10 {
		t.Fatalf("after Load: loaded %v seq %d len %d", f.Loaded(), f.Seq(), x.Len())
	}
	// Pages of 3, 3, 3 and a short one of 1: four round trips.
	if n := st.calls.Load(); n != 4 {
		t.Fatalf("%d Changes calls, want 4", n)
	}
	// Sync with nothing new costs one round trip and changes nothing.
	if err := f.Sync(context.Background()); err != nil || f.Seq() != 10 || st.calls.Load() != 5 {
		t.Fatalf("idle Sync: err %v seq %d calls %d", err, f.Seq(), st.calls.Load())
	}
	// Loading again is harmless.
	if err := f.Load(context.Background()); err != nil || x.Len() != 10 {
		t.Fatalf("second Load: %v, len %d", err, x.Len())
	}
}

func TestFollowerSyncAppliesEveryKindOfChange(t *testing.T) {
	st := &fakeStore{}
	a, b, c := memory("", "a", vec(1, 0)), memory("", "b", vec(1, 1)), memory("other", "c", vec(1, 0))
	st.append(upsert(a), upsert(b), upsert(c))
	x := New(Options{Dim: 2})
	f := NewFollower(FollowerOptions{Store: st, Index: x, Model: testModel})
	if err := f.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(x, "", mimo.Filter{}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after load: %v", got)
	}

	ctx := context.Background()
	step := func(name string, want []string, f2 mimo.Filter, cs ...mimo.Change) {
		t.Helper()
		st.append(cs...)
		if err := f.Sync(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := searchIDs(x, "", f2); !slices.Equal(got, want) {
			t.Fatalf("%s: default namespace holds %v, want %v", name, got, want)
		}
		if f.Seq() != int64(len(st.log)) {
			t.Fatalf("%s: seq %d, want %d", name, f.Seq(), len(st.log))
		}
	}

	// A superseded memory leaves default results but stays in the index.
	a2 := *a
	a2.SupersededBy = "d"
	d := memory("", "d", vec(1, 0.5))
	d.Supersedes = "a"
	step("supersede", []string{"b", "d"}, mimo.Filter{}, upsert(d), upsert(&a2))
	if got := searchIDs(x, "", mimo.Filter{IncludeSuperseded: true}); !slices.Equal(got, []string{"a", "b", "d"}) {
		t.Fatalf("superseded memory gone from the index: %v", got)
	}

	step("delete", []string{"d"}, mimo.Filter{}, del("", "b"))
	// An upsert whose memory has since been deleted carries no memory.
	step("upsert of a deleted memory", []string{}, mimo.Filter{}, mimo.Change{Op: mimo.OpUpsert, ID: "d", Namespace: ""})

	// A memory re-embedded by another model leaves the index; one stored
	// with another model never enters it.
	e := memory("", "e", vec(1, 0))
	step("new memory", []string{"e"}, mimo.Filter{}, upsert(e))
	e2 := *e
	e2.Embedding = mimo.Embedding{Vector: vec(1, 0), Model: "model-b", Dim: 2}
	g := memory("", "g", vec(1, 0))
	g.Embedding.Model = "model-b"
	step("other model", []string{}, mimo.Filter{}, upsert(&e2), upsert(g))

	// Vectors of another dimension, or none yet, are left out too.
	h := memory("", "h", vec(1, 0, 0))
	i := memory("", "i", nil)
	step("unusable vectors", []string{}, mimo.Filter{}, upsert(h), upsert(i))

	// Back to the index's model: indexed again.
	step("re-embedded", []string{"e"}, mimo.Filter{}, upsert(e))

	// Unknown operations are skipped, not fatal.
	step("unknown op", []string{"e"}, mimo.Filter{}, mimo.Change{Op: "truncate", ID: "e"})

	// The other namespace was never touched.
	if got := searchIDs(x, "other", mimo.Filter{}); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("namespace other: %v", got)
	}
}

func TestFollowerAnyModel(t *testing.T) {
	st := &fakeStore{}
	m := memory("", "a", vec(1, 0))
	m.Embedding.Model = "whatever"
	st.append(upsert(m))
	x := New(Options{Dim: 2})
	if err := NewFollower(FollowerOptions{Store: st, Index: x}).Load(context.Background()); err != nil || x.Len() != 1 {
		t.Fatalf(`Model "" must accept any model: err %v len %d`, err, x.Len())
	}
}

func TestFollowerApplyIsIdempotent(t *testing.T) {
	x := New(Options{Dim: 2})
	f := NewFollower(FollowerOptions{Store: &fakeStore{}, Index: x})
	a, b := memory("", "a", vec(1, 0)), memory("", "b", vec(0, 1))
	changes := []mimo.Change{upsert(a), upsert(b), del("", "a"), upsert(b)}
	for range 3 {
		f.Apply(changes)
		if got := searchIDs(x, "", mimo.Filter{}); !slices.Equal(got, []string{"b"}) || x.Len() != 1 {
			t.Fatalf("after Apply: %v (len %d)", got, x.Len())
		}
	}
	if f.Seq() != 0 {
		t.Fatalf("Apply moved Seq to %d", f.Seq())
	}
}

func TestFollowerErrors(t *testing.T) {
	st := &fakeStore{}
	st.append(upsert(memory("", "a", vec(1, 0))))
	x := New(Options{Dim: 2})
	f := NewFollower(FollowerOptions{Store: st, Index: x})

	st.err = mimo.Errorf(mimo.EUNAVAILABLE, "database down")
	if err := f.Load(context.Background()); mimo.ErrorCode(err) != mimo.EUNAVAILABLE || f.Loaded() {
		t.Fatalf("Load with the store down: %v, loaded %v", err, f.Loaded())
	}
	st.err = errors.New("boom")
	if err := f.Sync(context.Background()); mimo.ErrorCode(err) != mimo.EINTERNAL {
		t.Fatalf("Sync with a plain error: %v, want EINTERNAL", err)
	}
	st.err = nil
	if err := f.Sync(context.Background()); err != nil || x.Len() != 1 {
		t.Fatalf("Sync after recovery: %v, len %d", err, x.Len())
	}

	// A store that sends entries out of order is reported, not looped on.
	bad := &fakeStore{log: []mimo.Change{{Seq: 5, Op: mimo.OpDelete, ID: "x"}, {Seq: 3, Op: mimo.OpDelete, ID: "y"}}}
	if err := NewFollower(FollowerOptions{Store: bad, Index: x}).Load(context.Background()); mimo.ErrorCode(err) != mimo.EINTERNAL {
		t.Fatalf("out-of-order log: %v", err)
	}

	// Waiting for a round ends with the caller's context.
	gated := &fakeStore{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	g := NewFollower(FollowerOptions{Store: gated, Index: x})
	done := make(chan error)
	go func() { done <- g.Sync(context.Background()) }()
	<-gated.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Sync(ctx); mimo.ErrorCode(err) != mimo.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
		t.Fatalf("Sync with a cancelled context while another runs: %v", err)
	}
	close(gated.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Syncs that arrive while a round is in flight share the next round: a
// burst of callers costs two round trips, and every caller sees the change
// committed before it called.
func TestFollowerConcurrentSyncShareRoundTrips(t *testing.T) {
	const callers = 20
	st := &fakeStore{gate: make(chan struct{}), entered: make(chan struct{}, callers)}
	st.append(upsert(memory("", "first", vec(1, 0))))
	x := New(Options{Dim: 2})
	f := NewFollower(FollowerOptions{Store: st, Index: x})
	var arrived sync.WaitGroup
	f.arrived = arrived.Done

	// One Sync is in the store, waiting at the gate.
	arrived.Add(1)
	first := make(chan error)
	go func() { first <- f.Sync(context.Background()) }()
	<-st.entered

	// Then a change is committed and the burst arrives.
	st.append(upsert(memory("", "second", vec(1, 0))))
	arrived.Add(callers)
	errs := make(chan error, callers)
	for range callers {
		go func() { errs <- f.Sync(context.Background()) }()
	}
	arrived.Wait()

	// Open the gate for good: the first round ends, then one more round
	// serves the whole burst.
	close(st.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := st.calls.Load(); n != 2 {
		t.Fatalf("%d round trips for %d concurrent Syncs, want 2", n, callers+1)
	}
	if got := searchIDs(x, "", mimo.Filter{}); !slices.Equal(got, []string{"first", "second"}) || f.Seq() != 2 {
		t.Fatalf("after the burst: %v, seq %d", got, f.Seq())
	}
}

// Under the race detector: Sync, Load, Apply and searches at once, while
// the log grows; at the end the index holds exactly the log's state.
func TestFollowerConcurrentUse(t *testing.T) {
	st := &fakeStore{}
	x := New(Options{Dim: 2})
	f := NewFollower(FollowerOptions{Store: st, Index: x, PageSize: 7})
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			id := fmt.Sprintf("m%03d", i)
			st.append(upsert(memory("", id, vec(1, float32(i%7)))))
			if i%4 == 0 {
				st.append(del("", id))
			}
		}
	})
	for range 3 {
		wg.Go(func() {
			for range 30 {
				if err := f.Sync(ctx); err != nil {
					t.Error(err)
				}
				x.Search(vec(1, 0), mimo.Filter{}, 5)
			}
		})
	}
	wg.Go(func() {
		if err := f.Load(ctx); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if x.Len() != 150 || f.Seq() != int64(len(st.log)) {
		t.Fatalf("final state: len %d (want 150), seq %d (want %d)", x.Len(), f.Seq(), len(st.log))
	}
}
