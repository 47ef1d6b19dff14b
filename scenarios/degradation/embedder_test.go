package degradation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/latency"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/standin"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

const (
	// embedTimeout bounds one embedding call; the latency fault is over it.
	embedTimeout = 2 * time.Second
	// perFault is how many memories each fault's phase stores.
	perFault = 5
)

func TestOllamaDownStoresSucceedSearchesFindByTextAndMemoriesAreReembeddedWhenItIsBack(t *testing.T) {
	rec := record.New(t, fmt.Sprintf("With Ollama failing (HTTP 500), unreachable (proxy cut) or slower than Mimo's %s embedding timeout, every store is answered 201, a search finds the new memories by their text (degraded, lexical), the fallbacks are counted; once Ollama is back, those memories are re-embedded by it and /health's reembed pending returns to 0", embedTimeout))
	env := harness.Start(t, harness.Options{Record: rec, Embedder: harness.EmbedderOllama, Mimo: []testcontainers.ContainerCustomizer{
		quickBreaker(),
		mimoserver.WithEmbedTimeout(embedTimeout),
	}})
	ctx := context.Background()
	c, ctl, m := env.Client(), env.Standin(), env.Mimo()
	const ns = "degradation-embedder"
	_, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The design review happens every other Wednesday."})
	require.NoError(t, err)
	tl := harness.NewTimeline(t, rec)
	tl.WatchCircuit(m, "embedder")

	faults := []struct {
		name, word string
		on         func() (off func())
	}{
		{"ollama answers 500", "zircon", func() func() {
			require.NoError(t, ctl.Fail(ctx, standin.Fail{Status: 500}))
			return func() { require.NoError(t, ctl.Clear(ctx)) }
		}},
		{"the ollama proxy is cut", "basalt", func() func() {
			return toxics.Cut(t, env.Proxy(harness.ProxyOllama))
		}},
		{fmt.Sprintf("ollama answers %s late, past the timeout", 2*embedTimeout), "obsidian", func() func() {
			return toxics.Add(t, env.Proxy(harness.ProxyOllama), toxics.Must(toxics.Latency(int((2*embedTimeout).Milliseconds()), 0)))
		}},
	}
	embedderFallbacks := map[string]string{"service": "embedder"}
	for _, f := range faults {
		var contents []string
		before := fallbacks(t, m, embedderFallbacks)
		// The stand-in's list of embedded texts starts empty with the fault.
		// A call that reached it during the fault may have had its answer
		// lost (the latency fault): the list then has its texts too, and
		// /health's reembed pending is what says they still wait.
		require.NoError(t, ctl.Reset(ctx))
		var off func()
		tl.Do(f.name, func() { off = f.on() })
		for i := range perFault {
			content := fmt.Sprintf("Design note %d about the %s cladding, written while %s.", i, f.word, f.name)
			var res *mimo.StoreResult
			err := tl.Time("store_latency", func() (err error) {
				res, err = c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content})
				return err
			})
			require.NoError(t, err, "%s: a store still succeeds", f.name)
			assert.True(t, res.Created, "%s: created (201), not queued", f.name)
			contents = append(contents, content)
		}
		a, err := c.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: f.word + " cladding"})
		require.NoError(t, err, "%s: a search still succeeds", f.name)
		assert.True(t, a.Degraded, "%s: the search says it is degraded", f.name)
		assert.Equal(t, "lexical", a.Mode, "%s: ranked by text", f.name)
		assert.Equal(t, mimo.DegradedEmbedder, a.Reason, f.name)
		found := 0
		for _, r := range a.Results {
			if strings.Contains(r.Memory.Content, f.word) {
				found++
			}
		}
		assert.Equal(t, perFault, found, "%s: the search finds every new memory by its text", f.name)
		assert.GreaterOrEqual(t, fallbacks(t, m, embedderFallbacks)-before, float64(perFault), "%s: each store and search without Ollama is a counted fallback", f.name)
		tl.Expect(f.name+": /health counts the memories waiting for a vector", within, reembedPending(m, func(n int64) bool { return n >= perFault }))

		// Back: the re-embedder sends each waiting memory to Ollama.
		back := time.Now()
		tl.Do(f.name+": ollama is back", off)
		tl.Expect(f.name+": /health's reembed pending back to 0", recoverWithin, reembedPending(m, func(n int64) bool { return n == 0 }))
		rec.Measure("reembedded_after_"+f.word, latency.MS(time.Since(back)), "ms")
		embedded, err := ctl.Embedded(ctx)
		require.NoError(t, err)
		for _, content := range contents {
			assert.True(t, containsText(embedded, content), "%s: %q was embedded by Ollama (reembed pending is 0)", f.name, content)
		}
		tl.Expect(f.name+": the embedder circuit closed", within, m.CircuitIs("embedder", mimo.CircuitClosed))
		a, err = c.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: f.word + " cladding"})
		require.NoError(t, err)
		assert.False(t, a.Degraded, "%s: searches use vectors again: %s", f.name, a.Reason)
	}
	rec.Measure("embedder_fallbacks", fallbacks(t, m, embedderFallbacks), "count")
}
