package modules

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/mimoclient"
	"mimo/harness/record"
	mimo "mimo/system"
)

func TestPartitionCutsAContainerOffTheNetworkUntilHealed(t *testing.T) {
	rec := record.New(t, "Env.Partition takes Postgres off the private network, Mimo then finds its database down, and healing the partition puts it back under its name, where Mimo finds it again")
	env := harness.Start(t, harness.Options{Record: rec})
	ctx := context.Background()
	pg := env.Postgres()
	networks := func() []string {
		t.Helper()
		n, err := pg.Networks(ctx)
		require.NoError(t, err)
		return n
	}
	require.Len(t, networks(), 1, "Postgres is on the private network only")

	heal := env.Partition(t, harness.Postgres)
	cut := time.Now()
	assert.Empty(t, networks(), "partitioned: on no network")
	env.WaitForHealth(t, func(h *mimoclient.Health) bool {
		return h.Components["db"].Status == mimo.StatusDown
	}, 2*time.Minute)
	rec.Measure("db_down_after_partition", float64(time.Since(cut).Milliseconds()), "ms")

	heal()
	healed := time.Now()
	assert.Len(t, networks(), 1, "healed: back on the private network")
	env.WaitForHealth(t, func(h *mimoclient.Health) bool {
		return h.HTTPStatus == http.StatusOK && h.Components["db"].Status == mimo.StatusOK
	}, 2*time.Minute)
	rec.Measure("db_ok_after_heal", float64(time.Since(healed).Milliseconds()), "ms")
	mark, err := pg.Now(ctx)
	require.NoError(t, err)
	// Mimo's background work (its gauges, the access flush) may query at any
	// time, so what proves the store reached Postgres is its row, read there.
	res, err := env.Client().Store(ctx, mimo.StoreRequest{Namespace: "partition", Content: "Stored once the partition healed."})
	require.NoError(t, err, "Mimo reaches Postgres by its name again")
	require.NotNil(t, res.Memory)
	assert.False(t, res.Queued, "written straight to Postgres, not queued: %+v", res)
	rows, err := pg.QueryInt(ctx, "SELECT count(*) FROM memories WHERE id = $1 AND namespace = $2", res.Memory.ID, "partition")
	require.NoError(t, err)
	assert.EqualValues(t, 1, rows, "the memory %s is in Postgres when the store returns", res.Memory.ID)
	busy, err := pg.ActivitySince(ctx, mark)
	require.NoError(t, err)
	assert.Positive(t, busy.Queries, "the store's statements are seen in pg_stat_activity: %+v", busy)
	heal() // a second heal does nothing; the cleanup's neither
}
