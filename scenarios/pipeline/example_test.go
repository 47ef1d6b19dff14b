package pipeline

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

// TestAnAnswerComesFromMemoryThroughASlowModel is the example of
// harness/README.md, kept here so that it is run and cannot rot; the
// README's copy is checked against it by harness's TestReadmeExample.
func TestAnAnswerComesFromMemoryThroughASlowModel(t *testing.T) {
	rec := record.New(t, "A stored memory answers a question through a model 200 ms away")
	env := harness.Start(t, harness.Options{Record: rec})
	c, ctx := env.Client(), context.Background()
	_, err := c.Store(ctx, mimo.StoreRequest{Namespace: "example", Content: "The backup job runs at midnight."})
	require.NoError(t, err)
	toxics.Add(t, env.Proxy(harness.ProxyLLM), toxics.Must(toxics.Latency(200, 0)))
	a, err := c.Ask(ctx, mimo.AskRequest{Namespace: "example", Query: "When does the backup job run?"})
	require.NoError(t, err)
	assert.False(t, a.Degraded, a.Reason)
	assert.Contains(t, a.Answer, "The backup job runs at midnight.")
	assert.GreaterOrEqual(t, a.LatencyMS, 200.0, "the model's 200 ms are in the answer's time")
	rec.Measure("ask_latency", a.LatencyMS, "ms")
}
