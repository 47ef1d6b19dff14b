package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/embed"
	"mimo/system/sqlite"
)

func TestPercentileIsTheNearestRank(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(i+1) * time.Millisecond
	}
	assert.Equal(t, 50*time.Millisecond, percentile(ds, 50))
	assert.Equal(t, 99*time.Millisecond, percentile(ds, 99))
	assert.Equal(t, 100*time.Millisecond, percentile(ds, 100))
	assert.Equal(t, 7*time.Millisecond, percentile([]time.Duration{7 * time.Millisecond}, 99))
	assert.Zero(t, percentile(nil, 50))
}

func TestExactLatencySortsAndLeavesItsInputAlone(t *testing.T) {
	ds := []time.Duration{4 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	in := slices.Clone(ds)
	l := exactLatency(ds, 12, 2*time.Second)
	assert.Equal(t, in, ds)
	assert.Equal(t, ExactLatency{Requests: 4, Results: 12, PerSecond: 2, MeanMs: 2.5, P50Ms: 2, P99Ms: 4}, l)
	assert.Equal(t, 2.5, ratio(5, 2))
	assert.Zero(t, ratio(5, 0), "an unmeasured baseline gives no ratio")
}

// The scan's answer is the plain sort of every dot product.
func TestVectorScanFindsTheExactNearest(t *testing.T) {
	const n, dim, k = 500, 16, 10
	r := rand.New(rand.NewPCG(1, 2))
	s := &vectorScan{dim: dim, n: n, limit: k, vecs: make([]float32, n*dim)}
	for i := range s.vecs {
		s.vecs[i] = float32(r.NormFloat64())
	}
	// Two equal rows: the tie goes to the lower row.
	copy(s.vecs[7*dim:8*dim], s.vecs[3*dim:4*dim])
	for range 20 {
		q := make([]float32, dim)
		for i := range q {
			q[i] = float32(r.NormFloat64())
		}
		all := make([]hit, n)
		for row := range n {
			var dot float32
			for i := range q {
				dot += q[i] * s.vecs[row*dim+i]
			}
			all[row] = hit{row, dot}
		}
		slices.SortStableFunc(all, func(a, b hit) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			}
			return 0
		})
		assert.Equal(t, all[:k], s.nearest(q))
	}
	s.n, s.vecs = 3, s.vecs[:3*dim]
	assert.Len(t, s.nearest(make([]float32, dim)), 3, "fewer rows than the limit: all of them")
}

func TestMatchExprIsTheStoresQuotedWordsJoinedWithOr(t *testing.T) {
	assert.Equal(t, `"postgres" OR "migration"`, matchExpr("the Postgres migration!"))
	assert.Empty(t, matchExpr("?!"))
}

// The baselines read a file the real SQLite store wrote: its full-text
// table answers the plain query, its vectors the scan.
func TestMeasureRatiosOnTheStoresOwnFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mimo.db")
	st, err := sqlite.Open(ctx, sqlite.Options{Path: path})
	require.NoError(t, err)
	_, err = st.MigrateUp(ctx)
	require.NoError(t, err)
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	contents := []string{}
	for i := range 60 {
		contents = append(contents, fmt.Sprintf("the payments team moved service %d to postgres", i))
		contents = append(contents, fmt.Sprintf("kestrel release %d shipped on friday", i))
	}
	vecs, err := emb.Embed(ctx, contents)
	require.NoError(t, err)
	ms := make([]*mimo.Memory, len(contents))
	for i, c := range contents {
		ms[i] = &mimo.Memory{ID: fmt.Sprintf("m%04d", i), Namespace: mimo.DefaultNamespace, Content: c,
			Category: mimo.Categories[0], Importance: 0.5,
			Embedding: mimo.Embedding{Vector: vecs[i], Model: emb.Model(), Dim: emb.Dim()}}
	}
	// One memory of another namespace: not scanned.
	ms = append(ms, &mimo.Memory{ID: "other", Namespace: "elsewhere", Content: "kestrel elsewhere",
		Category: mimo.Categories[0], Importance: 0.5,
		Embedding: mimo.Embedding{Vector: vecs[0], Model: emb.Model(), Dim: emb.Dim()}})
	res, err := st.CreateMemories(ctx, ms)
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	require.NoError(t, st.Close())

	queries := []string{"postgres payments", "kestrel friday", "nothing matches zebra", "payments", "release"}
	mimoLat := []time.Duration{5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, time.Second}
	r, err := measureRatios(ctx, RatioOptions{DBPath: path, Limit: 10, Concurrency: 2}, queries, mimoLat, 40, time.Second)
	require.NoError(t, err)

	assert.Equal(t, 5, r.Queries)
	assert.Equal(t, 120, r.Vectors, "the namespace's vectors only")
	assert.Equal(t, emb.Model(), r.EmbeddingModel)
	assert.Equal(t, 5, r.FTS.Requests)
	// Four of the queries match ten or more rows, the zebra none.
	assert.EqualValues(t, 40, r.FTS.Results)
	assert.EqualValues(t, 50, r.VectorScan.Results, "the scan always finds the limit")
	assert.Equal(t, 5.0, r.Mimo.P50Ms, "Mimo's figures are over the same queries only")
	assert.Positive(t, r.FTS.P50Ms)
	assert.Positive(t, r.VectorScan.P50Ms)
	assert.InDelta(t, 5/r.FTS.P50Ms, r.MimoOverFTSP50, 0.01)
	assert.InDelta(t, 5/r.VectorScan.P50Ms, r.MimoOverVectorP50, 0.01)

	_, err = measureRatios(ctx, RatioOptions{DBPath: path, Namespace: "nobody"}, queries, mimoLat, 0, time.Second)
	require.ErrorContains(t, err, "holds no vectors")
	_, err = measureRatios(ctx, RatioOptions{DBPath: path}, queries, mimoLat[:2], 0, time.Second)
	require.ErrorContains(t, err, "2 Mimo latencies for 5 queries")
}
