package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	mimo "mimo/system"
)

// metricWithin bounds how long a request may take to show in Mimo's
// metrics; the wait ends as soon as it does.
const metricWithin = 10 * time.Second

func TestMimoCountsRequestsInItsMetrics(t *testing.T) {
	rec := record.New(t, "Mimo counts a served store request in mimo_http_requests_total, by route, method and status code")
	env := harness.Start(t, harness.Options{Record: rec})
	ctx := context.Background()

	created := map[string]string{"route": "/api/memories", "method": "POST", "code": "201"}
	before, err := env.Metrics(ctx)
	require.NoError(t, err)
	base, _ := before.Sum("mimo_http_requests_total", created)

	stored, err := env.Client().Store(ctx, mimo.StoreRequest{
		Namespace: "metrics",
		Content:   "The metrics scenario stores exactly one memory",
		Category:  mimo.CategoryFact,
	})
	require.NoError(t, err)
	require.True(t, stored.Created, "a new memory answers 201")

	env.WaitForMetric(t, "mimo_http_requests_total", created,
		func(v float64) bool { return v >= base+1 }, metricWithin)

	after, err := env.Metrics(ctx)
	require.NoError(t, err)
	v, ok := after.Value("mimo_http_requests_total", created)
	require.True(t, ok, "the series of created stores exists")
	require.Equal(t, base+1, v, "one store, counted once")
	count, ok := after.Value("mimo_http_request_duration_seconds_count", map[string]string{"route": "/api/memories", "method": "POST"})
	require.True(t, ok, "the store request is timed too")
	require.GreaterOrEqual(t, count, 1.0)

	rec.Measure("http_requests_total_post_memories_201", v, "count")
	rec.Measure("http_request_duration_count_post_memories", count, "count")
	h, err := env.Health(ctx)
	require.NoError(t, err)
	rec.SetEnv("mimo_health", h.Status)
	rec.Evidence("metrics", fmt.Sprintf(
		`mimo_http_requests_total{route="/api/memories",method="POST",code="201"} went from %g to %g after one store`, base, v))
}
