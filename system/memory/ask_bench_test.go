package memory_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mimo "mimo/system"
	"mimo/system/embed"
	"mimo/system/index"
	"mimo/system/internal/cputime"
	"mimo/system/memory"
	"mimo/system/sqlite"
)

// benchLLM answers at once with a fixed citation, so that a benchmark of
// Ask measures Mimo's side of an answer.
type benchLLM struct{}

func (benchLLM) Complete(context.Context, string, string) (string, error) {
	return "From the memories: see [1].", nil
}
func (benchLLM) Model() string { return "bench/fixed" }

// BenchmarkServiceAsk measures Service.Ask end to end on SQLite with the
// text index loaded (MIMO_BENCH_MEMORIES memories, default 10,000), many
// askers at once (100 goroutines, as the ask load gate's connections), an
// LLM that answers at once, and questions routed to memories and the graph
// ("who owns the … work?", 1,024 distinct ones, so the classifier cache
// serves repeats). It reports the time of one answer (ns/op, over all
// askers), and the median and 99th percentile of one ask's latency.
func BenchmarkServiceAsk(b *testing.B) {
	n := benchMemories(b)
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(b.TempDir(), "mimo.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		b.Fatal(err)
	}
	emb := embed.NewBuiltin(embed.BuiltinOptions{})
	corpus := seedBench(b, st, emb, n)
	questions := make([]string, 1024)
	for i := range questions {
		w := strings.Fields(corpus.Query())
		questions[i] = fmt.Sprintf("who owns the %s %s work?", w[0], w[1])
	}
	idx := index.New(index.Options{Dim: emb.Dim()})
	fol := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Model: emb.Model(), Text: index.NewText(index.TextOptions{})})
	if err := fol.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	svc, err := memory.New(memory.Options{Store: st, Embedder: emb, Index: idx, Follower: fol, LLM: benchLLM{}})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	var mu sync.Mutex
	var took []time.Duration
	const askers = 100
	b.SetParallelism((askers + 1) / 2)
	b.ResetTimer()
	cpu := cputime.Process()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		i := 0
		for pb.Next() {
			t := time.Now()
			ans, err := svc.Ask(ctx, mimo.AskRequest{Query: questions[i%len(questions)]})
			mine = append(mine, time.Since(t))
			if err != nil || ans.Degraded || len(ans.Sources) == 0 {
				b.Errorf("ask: %v, %+v", err, ans)
				return
			}
			i += 7
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	cputime.PerOp(b, cpu, b.N)
	slices.Sort(took)
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	}
}
