// Package telemetry is the validation scenario of Mimo's own telemetry:
// the router's classifier cache counts its hits and misses, and they reach
// /health, /metrics and a real Prometheus scraping Mimo.
package telemetry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	mimo "mimo/system"
)

// seenWithin bounds how long a count may take to reach Prometheus; the
// wait ends as soon as it does.
const seenWithin = 30 * time.Second

// questions are asked in this order: three distinct, then the first two
// again with other spacing and case, which the cache takes as the same.
var questions = []string{
	"Which database does staging use?",
	"Who owns the billing service?",
	"What changed in the release lately?",
	"which database   does STAGING use?",
	"Who owns the billing service?",
}

const wantHits, wantMisses = 2, 3

func TestClassifierCacheHitsAndMissesReachMetricsAndPrometheus(t *testing.T) {
	rec := record.New(t, "The classifier cache's hits and misses are counted exactly in /health, in /metrics and in Prometheus")
	env := harness.Start(t, harness.Options{Prometheus: true, Record: rec})
	ctx := context.Background()
	c := env.Client()
	_, err := c.Store(ctx, mimo.StoreRequest{Namespace: "telemetry", Content: "Staging uses Postgres 15 on db-2, owned by the platform team."})
	require.NoError(t, err)

	for i, q := range questions {
		ans, err := c.Ask(ctx, mimo.AskRequest{Namespace: "telemetry", Query: q})
		require.NoError(t, err, q)
		assert.Equal(t, i >= 3, ans.Route.Cached, "question %d (%q) routed from the cache", i, q)
		rec.Observe("route_cached", map[bool]float64{true: 1, false: 0}[ans.Route.Cached], q)
	}

	h, err := env.Health(ctx)
	require.NoError(t, err)
	cache := h.ClassifierCache
	assert.EqualValues(t, wantHits, cache.Hits)
	assert.EqualValues(t, wantMisses, cache.Misses)
	assert.InDelta(t, 0.4, cache.HitRate, 1e-9)
	assert.Equal(t, 3, cache.Entries)

	m, err := env.Metrics(ctx)
	require.NoError(t, err)
	hits, _ := m.Value("mimo_cache_classifier_hits_total", nil)
	misses, _ := m.Value("mimo_cache_classifier_misses_total", nil)
	assert.Equal(t, float64(wantHits), hits)
	assert.Equal(t, float64(wantMisses), misses)

	began := time.Now()
	for name, want := range map[string]float64{
		`mimo_cache_classifier_hits_total{job="mimo"}`:   wantHits,
		`mimo_cache_classifier_misses_total{job="mimo"}`: wantMisses,
	} {
		env.WaitForQuery(t, name, func(v model.Vector) bool {
			return len(v) == 1 && float64(v[0].Value) == want
		}, seenWithin)
	}
	rec.Measure("seen_in_prometheus_after", float64(time.Since(began).Milliseconds()), "ms")
	rec.Measure("classifier_hits", hits, "count")
	rec.Measure("classifier_misses", misses, "count")
	rec.Measure("classifier_hit_rate", cache.HitRate, "ratio")
	rec.Evidence("metrics", fmt.Sprintf("after %d questions: /health hits %v misses %v; /metrics hits %g misses %g; Prometheus the same",
		len(questions), cache.Hits, cache.Misses, hits, misses))
}
