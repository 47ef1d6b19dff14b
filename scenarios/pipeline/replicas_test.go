package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	mimo "mimo/system"
)

// seenWithin bounds how long a replica may take to see another's write in
// its index; the wait ends as soon as it does.
const seenWithin = 30 * time.Second

func TestReplicasOnOnePostgresSeeEachOthersWrites(t *testing.T) {
	rec := record.New(t, "Two Mimo replicas on one Postgres: a memory stored through one is read and found by search through the other, and deleted through it for both")
	env := harness.Start(t, harness.Options{Record: rec})
	ctx := context.Background()
	first, second := env.Client(), env.StartMimo(t).Client()
	const ns = "replicas"

	stored, err := first.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The on-call handbook lives in the operations wiki"})
	require.NoError(t, err)
	got, err := second.Get(ctx, ns, stored.Memory.ID)
	require.NoError(t, err, "the other replica reads it from the shared database")
	assert.Equal(t, stored.Memory.Content, got.Content)

	began := time.Now()
	harness.WaitFor(t, seenWithin, "the other replica to find the memory by search", func() (bool, string) {
		page, err := second.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: "where is the on-call handbook"})
		if err != nil {
			return false, err.Error()
		}
		return len(page.Results) > 0 && page.Results[0].Memory.ID == stored.Memory.ID, page.Mode
	})
	rec.Measure("found_by_the_other_replica_after", float64(time.Since(began).Milliseconds()), "ms")

	require.NoError(t, second.Delete(ctx, ns, stored.Memory.ID))
	_, err = first.Get(ctx, ns, stored.Memory.ID)
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err), "deleted through one replica, gone for the other: %v", err)
}
