package embed_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mimo/system/embed"
)

// benchEmbedURL names the embedding service BenchmarkRemote calls: a
// server speaking both protocols on one port, as Ollama does and as the
// validation harness's provider stand-in does, at the Ollama root (the
// OpenAI protocol is reached under /v1). Mimo's own packages never import
// the harness, so the benchmark takes the stand-in by its address:
//
//	go run ./harness/standin/cmd/standin -addr 127.0.0.1:11499 -log-level warn &
//	MIMO_BENCH_EMBED_URL=http://127.0.0.1:11499 go test -run XXX -bench Remote ./system/embed/
const benchEmbedURL = "MIMO_BENCH_EMBED_URL"

// benchTexts returns n distinct memory-sized texts (about 150 bytes).
func benchTexts(n, seed int) []string {
	out := make([]string, n)
	for i := range out {
		k := seed*n + i
		out[i] = fmt.Sprintf("Note %d: the nightly export of ledger %d moved to the %d:00 window after the "+
			"storage team resized volume %d; the on-call engineer checks it on Mondays.", k, k%97, k%24, k%13)
	}
	return out
}

// BenchmarkRemote measures what the providers' clients carry through a
// real HTTP server: texts embedded per second, in the batches Mimo sends
// when it stores (embed.DefaultBatchSize texts a call) and one at a time
// as a search's query, by one caller and by four at once. Vectors have
// 768 values in both protocols, so the two move the same numbers.
func BenchmarkRemote(b *testing.B) {
	base := strings.TrimRight(os.Getenv(benchEmbedURL), "/")
	if base == "" {
		const how = benchEmbedURL + " is not set; see benchEmbedURL for how to start the stand-in"
		if os.Getenv("CI") == "true" {
			b.Fatal(how)
		}
		b.Skip(how)
	}
	providers := []struct {
		name string
		o    embed.RemoteOptions
	}{
		{embed.ProviderOllama, embed.RemoteOptions{URL: base, Model: "nomic-embed-text", Dim: 768}},
		// A text-embedding-3 model is sent "dimensions", which the
		// stand-in honours as OpenAI does.
		{embed.ProviderOpenAI, embed.RemoteOptions{URL: base + "/v1", Model: "text-embedding-3-small", Dim: 768}},
	}
	for _, p := range providers {
		r, err := embed.NewRemote(p.name, p.o)
		require.NoError(b, err)
		for _, batch := range []int{embed.DefaultBatchSize, 1} {
			for _, clients := range []int{1, 4} {
				name := fmt.Sprintf("%s/batch=%d/clients=%d", p.name, batch, clients)
				b.Run(name, func(b *testing.B) { benchEmbed(b, r, batch, clients) })
			}
		}
	}
}

// benchEmbed embeds b.N batches of batch texts with clients callers at
// once and reports texts/s.
func benchEmbed(b *testing.B, r *embed.Remote, batch, clients int) {
	ctx := context.Background()
	// Warm the connections, and check the answers once.
	vecs, err := r.Embed(ctx, benchTexts(batch, -1))
	require.NoError(b, err)
	require.Len(b, vecs, batch)
	require.Len(b, vecs[0], r.Dim())

	var next atomic.Int64 // batches handed out
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for k := next.Add(1); k <= int64(b.N); k = next.Add(1) {
				if _, err := r.Embed(ctx, benchTexts(batch, int(k))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "texts/s")
}
