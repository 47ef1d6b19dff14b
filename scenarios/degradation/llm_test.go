package degradation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/latency"
	"mimo/harness/mimoclient"
	"mimo/harness/record"
	"mimo/harness/standin"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

func TestLLMDownGivesCachedOrExtractiveAnswersAndRecovers(t *testing.T) {
	rec := record.New(t, "With the LLM unreachable or failing, Mimo answers every question: the model's earlier answer to the same question, else a quote of the best memory, marked degraded and counted; when the LLM is back it answers again")
	env := harness.Start(t, harness.Options{Record: rec})
	c := env.Client()
	ctx := context.Background()
	const ns = "degradation-llm"
	_, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "The on-call rotation changes every Monday at nine."})
	require.NoError(t, err)
	asked := "When does the on-call rotation change?"
	other := "Which day does on-call rotate?"

	first, err := c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: asked})
	require.NoError(t, err)
	require.False(t, first.Degraded, "the model answers while it is up: %s", first.Reason)
	require.True(t, strings.HasPrefix(first.Answer, standin.AnswerPrefix))
	rec.Observe("answers", 0, "synthesised")

	// Down: every connection through the llm proxy is refused.
	restore := toxics.Cut(t, env.Proxy(harness.ProxyLLM))
	began := time.Now()
	cached, err := c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: asked})
	require.NoError(t, err)
	rec.Measure("cached_answer_while_down", latency.MS(time.Since(began)), "ms")
	assert.True(t, cached.Degraded)
	assert.Equal(t, first.Answer, cached.Answer, "the model's earlier answer to the same question")
	assert.Contains(t, cached.Reason, "earlier answer")
	rec.Observe("answers", 1, "cached")

	extractive, err := c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: other})
	require.NoError(t, err)
	assert.True(t, extractive.Degraded)
	assert.Equal(t, "The on-call rotation changes every Monday at nine [1].", extractive.Answer, "a quote of the best memory, cited")
	rec.Observe("answers", 2, "extractive")
	rec.Evidence("response", fmt.Sprintf("LLM proxy down: %q (%s); %q (%s)", cached.Answer, cached.Reason, extractive.Answer, extractive.Reason))

	h, err := env.Health(ctx)
	require.NoError(t, err)
	assert.Equal(t, mimo.StatusDegraded, h.Components["llm"].Status, "/health shows the model failing")
	env.WaitForMetric(t, "mimo_fallback_triggered_total", map[string]string{"service": "llm", "reason": "cached_answer"},
		func(v float64) bool { return v == 1 }, 10*time.Second)
	env.WaitForMetric(t, "mimo_fallback_triggered_total", map[string]string{"service": "llm", "reason": "llm_failed"},
		func(v float64) bool { return v == 1 }, 10*time.Second)

	// The model itself failing (HTTP 500 from the stand-in) is the same.
	restore()
	require.NoError(t, env.Standin().Fail(ctx, standin.Fail{Status: 500}))
	failing, err := c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: "Is the on-call rotation weekly?"})
	require.NoError(t, err)
	assert.True(t, failing.Degraded, "a 500 from the model")
	assert.Contains(t, failing.Answer, "[1]")
	rec.Observe("answers", 2, "extractive")

	// Back: the model answers again and /health is ok.
	require.NoError(t, env.Standin().Clear(ctx))
	back := time.Now()
	again, err := c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: other})
	require.NoError(t, err)
	assert.False(t, again.Degraded, "the model answers once it is back: %s", again.Reason)
	assert.True(t, strings.HasPrefix(again.Answer, standin.AnswerPrefix))
	rec.Measure("synthesised_after_recovery", latency.MS(time.Since(back)), "ms")
	rec.Observe("answers", 0, "synthesised")
	env.WaitForHealth(t, func(h *mimoclient.Health) bool { return h.Status == mimo.StatusOK }, 10*time.Second)
}
