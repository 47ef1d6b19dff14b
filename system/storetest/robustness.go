package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func robustnessCases() []testCase {
	return []testCase{
		{"Concurrency/ParallelCreates", testConcurrentCreates},
		{"Context/CancelledReturnsError", testCancelled},
	}
}

// Eight writers create fifty memories each while readers list and search;
// every memory is stored and every change has its own Seq.
func testConcurrentCreates(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+100)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := NewMemory("conc", fmt.Sprintf("writer %d wrote memory %d", w, i))
				if i%10 == 0 {
					// Batches and single creates interleave.
					if _, err := s.CreateMemories(ctx, []*mimo.Memory{m}); err != nil {
						errs <- err
					}
					continue
				}
				if _, created, err := s.CreateMemory(ctx, m); err != nil || !created {
					errs <- fmt.Errorf("create %q: created=%v: %w", m.Content, created, err)
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 20 {
				if _, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "conc"}}); err != nil {
					errs <- err
				}
				if _, err := s.TextSearch(ctx, "writer memory", mimo.Filter{Namespace: "conc"}, 10); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}

	n, err := s.CountMemories(ctx, "conc")
	require.NoError(t, err)
	assert.EqualValues(t, writers*each, n)

	seqs := map[int64]bool{}
	created := map[string]bool{}
	after := int64(0)
	for {
		cs, err := s.Changes(ctx, after, 97)
		require.NoError(t, err)
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			require.False(t, seqs[c.Seq], "Seq %d repeated", c.Seq)
			require.Greater(t, c.Seq, after)
			seqs[c.Seq] = true
			after = c.Seq
			created[c.ID] = true
		}
	}
	assert.Len(t, created, writers*each, "every create is in the change log")
}

func testCancelled(t *testing.T, s mimo.Store) {
	m := create(t, s, NewMemory("ctx", "exists before the cancel"))

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), at(-time.Hour))
	defer cancel2()

	for name, ctx := range map[string]context.Context{"cancelled": cancelled, "expired": expired} {
		calls := map[string]func() error{
			"CreateMemory": func() error {
				_, _, err := s.CreateMemory(ctx, NewMemory("ctx", "never stored "+name))
				return err
			},
			"CreateMemories": func() error {
				_, err := s.CreateMemories(ctx, []*mimo.Memory{NewMemory("ctx", "never stored in a batch "+name)})
				return err
			},
			"GetMemory": func() error { _, err := s.GetMemory(ctx, "ctx", m.ID); return err },
			"UpdateMemory": func() error {
				imp := 0.1
				_, err := s.UpdateMemory(ctx, "ctx", m.ID, mimo.MemoryUpdate{Importance: &imp})
				return err
			},
			"DeleteMemory": func() error { return s.DeleteMemory(ctx, "ctx", m.ID) },
			"ListMemories": func() error {
				_, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "ctx"}})
				return err
			},
			"TextSearch":     func() error { _, err := s.TextSearch(ctx, "exists", mimo.Filter{Namespace: "ctx"}, 10); return err },
			"RecentMemories": func() error { _, err := s.RecentMemories(ctx, mimo.Filter{Namespace: "ctx"}, 10); return err },
			"CountMemories":  func() error { _, err := s.CountMemories(ctx, "ctx"); return err },
			"Changes":        func() error { _, err := s.Changes(ctx, 0, 10); return err },
		}
		for call, fn := range calls {
			// A hang here is caught by the test binary's timeout.
			assert.Error(t, fn(), "%s with a %s context", call, name)
		}
	}

	// The store still works, and nothing was changed.
	got, err := s.GetMemory(t.Context(), "ctx", m.ID)
	require.NoError(t, err)
	AssertSameMemory(t, m, got, true)
	n, err := s.CountMemories(t.Context(), "ctx")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}
