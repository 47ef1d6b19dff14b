package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/memory/memorytest"
)

// The shortlist of a search holds every candidate that belongs on the page:
// with the recency and importance the vector index holds it is the want
// best by their final scores and no more (ties aside); without them it is
// the wider set the bound allows, which holds it.
func TestShortlistReadsOnlyThePage(t *testing.T) {
	f := memorytest.New(t, memorytest.Options{NoLLM: true})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	var ids []string
	for i := range 60 {
		ids = append(ids, f.StoreAll(t, "team", fmt.Sprintf("note %d about the release train and its %d wagons", i, i*7))...)
		f.Clock.Advance(time.Duration(rng.IntN(100)) * time.Hour)
	}
	// Later updates change importance and the update time: the index must
	// follow them.
	for _, id := range ids[:30] {
		imp := rng.Float64()
		_, err := f.Service.Update(ctx, "team", id, mimo.UpdateRequest{Importance: &imp})
		require.NoError(t, err)
		f.Clock.Advance(time.Duration(rng.IntN(50)) * time.Hour)
	}
	// The index catches up as a search does.
	_, err := f.Service.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: "team"}, Query: "release train"})
	require.NoError(t, err)

	mems, err := f.Store.GetMemoriesNoVector(ctx, "team", ids)
	require.NoError(t, err)
	byID := map[string]*mimo.Memory{}
	for _, m := range mems {
		byID[m.ID] = m
	}
	for round := range 50 {
		cands := map[string]*mimo.Scores{}
		for _, id := range ids {
			if rng.IntN(4) > 0 {
				cands[id] = &mimo.Scores{Vector: rng.Float64(), Text: rng.Float64() * float64(rng.IntN(2))}
			}
		}
		want := 1 + rng.IntN(15)
		total := func(id string) float64 { return f.Service.Score(byID[id], *cands[id]).Total }
		all := make([]string, 0, len(cands))
		for id := range cands {
			all = append(all, id)
		}
		slices.SortFunc(all, func(a, b string) int {
			if ta, tb := total(a), total(b); ta != tb {
				if ta > tb {
					return -1
				}
				return 1
			}
			return 0
		})
		page := all[:min(want, len(all))]

		exact, prunedExact := f.Service.Shortlist("team", cands, want, true)
		bounded, prunedBounded := f.Service.Shortlist("team", cands, want, false)
		for _, id := range page {
			require.Contains(t, exact, id, "round %d: a memory of the page is not read (by index)", round)
			require.Contains(t, bounded, id, "round %d: a memory of the page is not read (bounded)", round)
		}
		for _, id := range exact {
			require.Contains(t, bounded, id, "round %d: the index's shortlist reads a memory the bound rules out", round)
		}
		require.Len(t, exact, len(page), "round %d: the index's shortlist reads more than the page", round)
		require.Equal(t, len(cands)-len(exact), prunedExact)
		require.Equal(t, len(cands)-len(bounded), prunedBounded)
	}
}
