package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/storetest"
)

// Two Store values on one database stand for two replicas: what one writes,
// the other reads, finds and sees in the change log.
func TestTwoReplicasShareOneDatabase(t *testing.T) {
	ctx := context.Background()
	a, url := fresh(t)
	b := open(t, url)

	before, err := b.LastChange(ctx)
	require.NoError(t, err)
	m := storetest.NewMemory("shared", "the staging database lives in Frankfurt")
	_, created, err := a.CreateMemory(ctx, m)
	require.NoError(t, err)
	require.True(t, created)

	got, err := b.GetMemory(ctx, "shared", m.ID)
	require.NoError(t, err)
	storetest.AssertSameMemory(t, m, got, true)
	hits, err := b.TextSearch(ctx, "frankfurt", mimo.Filter{Namespace: "shared"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, hitIDs(hits))
	cs, err := b.Changes(ctx, before, 100)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, mimo.OpUpsert, cs[0].Op)
	storetest.AssertSameMemory(t, m, cs[0].Memory, true)

	// The same content from the other replica is the same memory.
	again, created, err := b.CreateMemory(ctx, storetest.NewMemory("shared", m.Content))
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, m.ID, again.ID)

	require.NoError(t, b.DeleteMemory(ctx, "shared", m.ID))
	_, err = a.GetMemory(ctx, "shared", m.ID)
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err))
	cs, err = a.Changes(ctx, cs[0].Seq, 100)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, mimo.OpDelete, cs[0].Op)
}

// Writers on two replicas commit concurrently while a follower on a third
// reads the log by "seq > last seen". The follower must see every entry
// that is ever in the log: a seq that committed after a higher one would be
// skipped forever.
func TestChangeFollowerNeverSkipsASeq(t *testing.T) {
	ctx := context.Background()
	w1, url := fresh(t)
	w2 := open(t, url)
	follower := open(t, url)

	const writers, rounds = 8, 40
	var wg sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, writers*rounds)
	for w := range writers {
		s := w1
		if w%2 == 1 {
			s = w2
		}
		wg.Go(func() {
			for i := range rounds {
				// Batches of varying size hold their seq for varying time
				// before commit, which is what lets commits overtake.
				var ms []*mimo.Memory
				for j := range 1 + (i*7+w)%9 {
					ms = append(ms, storetest.NewMemory("follow", fmt.Sprintf("writer %d round %d item %d", w, i, j)))
				}
				if _, err := s.CreateMemories(ctx, ms); err != nil {
					errs <- err
				}
			}
		})
	}

	seen := map[int64]bool{}
	var followErr error
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		last := int64(0)
		for {
			finished := done.Load() // read before the poll: a final pass follows the writers
			cs, err := follower.Changes(ctx, last, 50)
			if err != nil {
				followErr = err
				return
			}
			for _, c := range cs {
				seen[c.Seq] = true
				last = c.Seq
			}
			if finished && len(cs) == 0 {
				return
			}
		}
	}()
	wg.Wait()
	done.Store(true)
	<-followed
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, followErr)

	all, err := follower.Changes(ctx, 0, 0)
	require.NoError(t, err)
	total := 0
	for {
		for _, c := range all {
			total++
			assert.True(t, seen[c.Seq], "the follower skipped seq %d", c.Seq)
		}
		if len(all) == 0 {
			break
		}
		all, err = follower.Changes(ctx, all[len(all)-1].Seq, 0)
		require.NoError(t, err)
	}
	assert.Equal(t, total, len(seen))
	n, err := follower.CountMemories(ctx, "follow")
	require.NoError(t, err)
	assert.EqualValues(t, total, n, "one upsert per memory")
}

func hitIDs(hs []mimo.TextHit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}
