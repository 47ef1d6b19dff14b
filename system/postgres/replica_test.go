package postgres_test

import (
	"context"
	"encoding/json"
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

// Two replicas store the same memories at the same moment, in opposite
// orders, which makes their transactions wait on each other's rows. Every
// call succeeds and each content is stored once.
func TestReplicasStoreSameContentConcurrently(t *testing.T) {
	ctx := context.Background()
	a, url := fresh(t)
	b := open(t, url)
	const n = 40
	contents := make([]string, n)
	for i := range contents {
		contents[i] = fmt.Sprintf("shared fact number %d", i)
	}
	batch := func(reverse bool) []*mimo.Memory {
		ms := make([]*mimo.Memory, n)
		for i := range ms {
			c := contents[i]
			if reverse {
				c = contents[n-1-i]
			}
			ms[i] = storetest.NewMemory("same", c)
		}
		return ms
	}
	var wg sync.WaitGroup
	results := make([][]mimo.CreateResult, 4)
	errs := make([]error, 4)
	for r := range 4 {
		s := a
		if r%2 == 1 {
			s = b
		}
		wg.Go(func() { results[r], errs[r] = s.CreateMemories(ctx, batch(r%2 == 1)) })
	}
	wg.Wait()
	created := 0
	byContent := map[string]string{}
	for r := range 4 {
		require.NoError(t, errs[r], "replica call %d", r)
		for _, res := range results[r] {
			require.NoError(t, res.Err)
			if res.Created {
				created++
			}
			if id, ok := byContent[res.Memory.Content]; ok {
				assert.Equal(t, id, res.Memory.ID, "one memory per content")
			}
			byContent[res.Memory.Content] = res.Memory.ID
		}
	}
	assert.Equal(t, n, created, "each content created exactly once")
	count, err := a.CountMemories(ctx, "same")
	require.NoError(t, err)
	assert.EqualValues(t, n, count)
}

// A value that passes every check in Go but that Postgres rejects (jsonb
// cannot hold a \u0000 escape) fails its own batch item only: the batch is
// replayed item by item, each in a savepoint. Both ways a batch is first
// tried are covered: one statement per item (a batch with a supersede) and
// one statement for the batch (none).
func TestBatchItemRejectedByDatabase(t *testing.T) {
	for _, supersede := range []bool{true, false} {
		t.Run(fmt.Sprintf("supersede=%v", supersede), func(t *testing.T) {
			ctx := context.Background()
			s, _ := fresh(t)
			before, err := s.LastChange(ctx)
			require.NoError(t, err)
			good1 := storetest.NewMemory("reject", "a good memory before")
			bad := storetest.NewMemory("reject", "metadata jsonb refuses")
			bad.Metadata = json.RawMessage(`{"nul":"\u0000"}`)
			good2 := storetest.NewMemory("reject", "a good memory after")
			want := []string{"upsert " + good1.ID, "upsert " + good2.ID}
			if supersede {
				good2.Supersedes = good1.ID
				want = append(want, "upsert "+good1.ID)
			}
			res, err := s.CreateMemories(ctx, []*mimo.Memory{good1, bad, good2})
			require.NoError(t, err)
			require.Len(t, res, 3)
			require.NoError(t, res[0].Err)
			assert.True(t, res[0].Created)
			assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(res[1].Err), "%v", res[1].Err)
			require.NoError(t, res[2].Err)
			assert.True(t, res[2].Created)
			if supersede {
				got, err := s.GetMemory(ctx, "reject", good1.ID)
				require.NoError(t, err)
				assert.Equal(t, good2.ID, got.SupersededBy)
			}
			cs, err := s.Changes(ctx, before, 0)
			require.NoError(t, err)
			var keys []string
			for _, c := range cs {
				keys = append(keys, c.Op+" "+c.ID)
			}
			assert.Equal(t, want, keys)

			_, _, err = s.CreateMemory(ctx, bad)
			assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "%v", err)
		})
	}
}
