package degradation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
	mimo "mimo/system"
)

// The waits and settings the package's scenarios share.
const (
	// breakerReset is how long an open circuit waits before its probe:
	// 2 s rather than Mimo's default 60 s, the time recovery then takes
	// at least.
	breakerReset = 2 * time.Second
	// breakerFailures is how many failures in a row open a circuit.
	breakerFailures = 3
	// within bounds a wait for a state Mimo reaches at once or after a
	// breaker's reset.
	within = 30 * time.Second
	// answerWithin bounds one request while the database is down: it must
	// come back before any store timeout would let it hang.
	answerWithin = 15 * time.Second
	// recoverWithin bounds the wait for Mimo to recover once a dependency
	// is back; the condition, not the bound, is what the test waits for.
	recoverWithin = 90 * time.Second

	// degradedHeader marks an answer Mimo served without its database;
	// dbUnavailable is its value then.
	degradedHeader = "X-Mimo-Degraded"
	dbUnavailable  = "db_unavailable"
)

// quickBreaker gives Mimo's circuits the package's settings:
// breakerFailures to open, breakerReset to half-open.
func quickBreaker() testcontainers.ContainerCustomizer {
	return mimoserver.WithBreaker(breakerFailures, breakerReset)
}

// storeEach stores content(i) in ns for i in [0, n), each of which must
// be stored (201), and returns the answers in order.
func storeEach(t *testing.T, c *mimoclient.Client, ns string, n int, content func(i int) string) []*mimo.StoreResult {
	t.Helper()
	out := make([]*mimo.StoreResult, n)
	for i := range n {
		res, err := c.Store(context.Background(), mimo.StoreRequest{Namespace: ns, Content: content(i)})
		require.NoError(t, err, "store %d in %s", i, ns)
		require.True(t, res.Created && !res.Queued, "store %d in %s is created, not queued: %+v", i, ns, res)
		out[i] = res
	}
	return out
}

// fallbacks is the sum of mimo_fallback_triggered_total over the series
// that carry labels ("service", "reason"): how often Mimo served without
// a dependency, counted since it started.
func fallbacks(t *testing.T, m *harness.MimoServer, labels map[string]string) float64 {
	t.Helper()
	ms, err := m.Client().Metrics(context.Background())
	require.NoError(t, err)
	v, _ := ms.Sum("mimo_fallback_triggered_total", labels)
	return v
}

// dbFallback is the labels of the db's fallback reason, as the metric
// has them.
func dbFallback(reason string) map[string]string {
	return map[string]string{"service": "db", "reason": reason}
}

// reembedPending is a condition on /health's count of memories waiting
// for a vector.
func reembedPending(m *harness.MimoServer, pred func(int64) bool) func() (bool, string) {
	return m.HealthIs(func(h *mimoclient.Health) bool {
		return h.Reembed != nil && pred(h.Reembed.Pending)
	})
}

// containsText reports whether one of texts contains s (Mimo may add a
// prefix of its own to what it embeds).
func containsText(texts []string, s string) bool {
	for _, t := range texts {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// slug makes a subtest's name part of a namespace.
func slug(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, name)
}
