package memory_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/index"
	"mimo/system/memory"
	"mimo/system/memory/memorytest"
)

// textCountingStore counts the store's full-text searches.
type textCountingStore struct {
	mimo.Store
	calls atomic.Int64
}

func (s *textCountingStore) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) ([]mimo.TextHit, error) {
	s.calls.Add(1)
	return s.Store.TextSearch(ctx, query, f, limit)
}

// Search ranks words with the store's full-text search while the indexes
// load, and with the in-process text index from then on, which follows
// every write, delete and filter field through the change log.
func TestSearchUsesTheTextIndexOnceLoaded(t *testing.T) {
	var fol *index.Follower
	counting := &textCountingStore{}
	f := memorytest.New(t, memorytest.Options{IndexNotLoaded: true, Configure: func(o *memory.Options) {
		fol = o.Follower
		counting.Store = o.Store
		o.Store = counting
	}})
	require.NotNil(t, fol.Text(), "the fixture's follower keeps a text index")
	svc, ctx := f.Service, context.Background()
	ids := f.StoreAll(t, "", "The nightly backup job runs at midnight.", "Deploys go out on Tuesdays.")

	page, err := svc.Search(ctx, mimo.SearchQuery{Query: "backups"})
	require.NoError(t, err)
	assert.Equal(t, memory.ModeLexical, page.Mode, "before the load: words only")
	assert.Equal(t, []string{ids[0]}, resultIDs(page))
	assert.EqualValues(t, 1, counting.calls.Load(), "before the load the store ranks the words")

	require.NoError(t, fol.Load(ctx))
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "backups"})
	require.NoError(t, err)
	assert.Equal(t, memory.ModeHybrid, page.Mode)
	require.NotEmpty(t, page.Results)
	assert.Equal(t, ids[0], page.Results[0].Memory.ID)
	assert.Equal(t, 1.0, page.Results[0].Score.Text, "the text index ranked it first")

	// A memory stored, updated and deleted after the load: the index sees
	// each through the change log before the next search.
	late := f.StoreAll(t, "", "The walrus colony moved north.")[0]
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "walruses"})
	require.NoError(t, err)
	require.NotEmpty(t, page.Results)
	assert.Equal(t, late, page.Results[0].Memory.ID)
	assert.Positive(t, page.Results[0].Score.Text)

	content := "The seal colony moved south."
	_, err = svc.Update(ctx, "", late, mimo.UpdateRequest{Content: &content})
	require.NoError(t, err)
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "walrus"})
	require.NoError(t, err)
	for _, r := range page.Results {
		assert.Zero(t, r.Score.Text, "%s still matches words it no longer has", r.Memory.ID)
	}
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "seal"})
	require.NoError(t, err)
	require.NotEmpty(t, page.Results)
	assert.Equal(t, late, page.Results[0].Memory.ID)
	assert.Positive(t, page.Results[0].Score.Text)

	require.NoError(t, svc.Delete(ctx, "", late))
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "seal"})
	require.NoError(t, err)
	assert.NotContains(t, resultIDs(page), late)

	// Filters: the tag filter keeps the memory out, and lets it in.
	tagged, err := svc.Store(ctx, mimo.StoreRequest{Content: "The otter sleeps afloat.", Tags: []string{"animals"}})
	require.NoError(t, err)
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "otter", Filter: mimo.Filter{Tags: []string{"plants"}}})
	require.NoError(t, err)
	assert.NotContains(t, resultIDs(page), tagged.Memory.ID)
	page, err = svc.Search(ctx, mimo.SearchQuery{Query: "otter", Filter: mimo.Filter{Tags: []string{"animals"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{tagged.Memory.ID}, resultIDs(page))

	assert.EqualValues(t, 1, counting.calls.Load(), "once loaded, the store never ranks words")
}
