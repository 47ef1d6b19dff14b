package memory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/breaker"
	"mimo/system/index"
	"mimo/system/internal/fakeclock"
	"mimo/system/memory"
	"mimo/system/memory/memorytest"
	"mimo/system/metrics"
	"mimo/system/postgres"
	"mimo/system/postgres/pgtest"
	"mimo/system/spool"
	"mimo/system/sqlite"
)

// The replay rate of a large spool: b.N single stores are queued while
// the database is down (each its own record, as agents storing one memory
// at a time make them), then the database comes back and Drain applies
// them all, checking each is stored exactly once. The timed part is the
// replay alone; writes/s is b.N over it.
//
//	go test -run XXX -bench Replay -benchtime 10000x ./system/memory/
//
// The Postgres case needs MIMO_TEST_POSTGRES_URL (see pgtest).
func BenchmarkReplay(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(b.TempDir(), "mimo.db")})
		require.NoError(b, err)
		b.Cleanup(func() { _ = st.Close() })
		benchReplay(b, st)
	})
	b.Run("postgres", func(b *testing.B) {
		st, err := postgres.Open(context.Background(), postgres.Options{URL: pgtest.URL(b)})
		require.NoError(b, err)
		b.Cleanup(func() { _ = st.Close() })
		benchReplay(b, st)
	})
}

// migrator is what both stores offer to create their schema.
type migrator interface {
	MigrateUp(ctx context.Context) ([]int64, error)
}

func benchReplay(b *testing.B, st mimo.Store) {
	ctx := context.Background()
	_, err := st.(migrator).MigrateUp(ctx)
	require.NoError(b, err)
	sw := memorytest.NewSwitchStore(st)
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(b.TempDir(), "spool"), MaxBytes: 1 << 30})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sp.Close() })
	emb := memorytest.NewEmbedder()
	idx := index.New(index.Options{Dim: emb.Dim()})
	follower := index.NewFollower(index.FollowerOptions{Store: sw, Index: idx, Model: emb.Model()})
	require.NoError(b, follower.Load(ctx))
	clock := fakeclock.New(memorytest.Start)
	graph, _ := st.(mimo.GraphStore)
	svc, err := memory.New(memory.Options{
		Store: sw, Graph: graph, Embedder: emb, Index: idx, Follower: follower, Spool: sp,
		Metrics: metrics.New(metrics.Options{Registerer: prometheus.NewRegistry()}), Now: clock.Now,
		BreakerFailures: 1, BreakerReset: time.Minute, DrainInterval: time.Hour,
	})
	require.NoError(b, err)
	b.Cleanup(func() { _ = svc.Close() })

	rng := rand.New(rand.NewPCG(1, 2))
	sw.Fail(mimo.Wrap(mimo.EUNAVAILABLE, errors.New("connection refused"), "database unavailable"))
	for i := range b.N {
		res, err := svc.Store(ctx, mimo.StoreRequest{Namespace: "bench", Content: benchContent(rng, i)})
		require.NoError(b, err)
		require.True(b, res.Queued, "the database is down: queued")
	}
	require.Equal(b, b.N, sp.Pending())
	sw.Recover()
	clock.Advance(time.Minute) // the circuit half-opens; Drain's ping is the probe

	b.ResetTimer()
	start := time.Now()
	for sp.Pending() > 0 {
		// The drainer's first pass, started with the service, may run
		// now and take the circuit's one probe: Drain is then refused
		// until that pass has replayed the spool.
		if _, err := svc.Drain(ctx); err != nil {
			require.ErrorIs(b, err, breaker.ErrOpen)
			time.Sleep(time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	count, err := st.CountMemories(ctx, "bench")
	require.NoError(b, err)
	require.Equal(b, int64(b.N), count, "each exactly once")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
}

// benchSyllables make the made-up words of benchContent.
var benchSyllables = strings.Fields("ka lo mi ren tas vor bel sun dri pax om quel tir zan fey gor hul nim ost pry")

// benchContent is memory i of the replay benchmark: 16 words drawn from
// a vocabulary of 8,000 made-up ones, so that the full-text indexes see
// words of every frequency, as with real notes, not the same few words
// in every memory.
func benchContent(rng *rand.Rand, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Note %d:", i)
	for range 16 {
		k := rng.IntN(8000)
		b.WriteByte(' ')
		for {
			b.WriteString(benchSyllables[k%len(benchSyllables)])
			k /= len(benchSyllables)
			if k == 0 {
				break
			}
		}
	}
	b.WriteByte('.')
	return b.String()
}
