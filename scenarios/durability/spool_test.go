package durability

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/latency"
	"mimo/harness/mimoclient"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

const (
	// spoolReset is the breakers' wait before half-open.
	spoolReset = 2 * time.Second
	// spoolWithin bounds the waits of the spool scenarios (a drain of
	// thousands of records on a shared machine included); the conditions,
	// not the bound, are what they wait for.
	spoolWithin = 3 * time.Minute
)

// queueWrites stores n distinct memories in ns from writers goroutines
// while the database is away, requiring each to be acknowledged, and
// returns content → the id Mimo announced.
func queueWrites(t *testing.T, c *mimoclient.Client, ns, subject string, n int) map[string]string {
	t.Helper()
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				content := fmt.Sprintf("Spooled entry %d about %s.", i, subject)
				res, err := c.Store(context.Background(), mimo.StoreRequest{Namespace: ns, Content: content})
				if !assert.NoError(t, err, "a write while the database is away is acknowledged") {
					return
				}
				assert.True(t, res.Created || res.Queued, "%q is new", content)
				mu.Lock()
				acked[content] = res.Memory.ID
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed(), "every write was acknowledged")
	return acked
}

// checkExactlyOnce lists ns and checks every acknowledged write is there
// once, by content and under the id it was announced with, recording the
// counts.
func checkExactlyOnce(t *testing.T, rec *record.Recorder, c *mimoclient.Client, ns string, acked map[string]string) {
	t.Helper()
	ids := map[string][]string{}
	for m, err := range c.ListAll(context.Background(), mimo.ListQuery{Filter: mimo.Filter{Namespace: ns}, Limit: pageSize}) {
		require.NoError(t, err)
		ids[m.Content] = append(ids[m.Content], m.ID)
	}
	lost, doubled := 0, 0
	for content, id := range acked {
		got := ids[content]
		switch {
		case len(got) == 0:
			lost++
			t.Errorf("%q (%s) was acknowledged and is lost", content, id)
		case len(got) > 1:
			doubled++
			t.Errorf("%q is stored %d times: %v", content, len(got), got)
		default:
			assert.Equal(t, id, got[0], "%q has the id it was announced with", content)
		}
	}
	assert.Len(t, ids, len(acked), "nothing but the acknowledged writes is stored")
	rec.Measure("acknowledged", float64(len(acked)), "count")
	rec.Measure("lost", float64(lost), "count")
	rec.Measure("doubled", float64(doubled), "count")
	rec.Evidence("note", fmt.Sprintf("%d writes acknowledged; %d lost, %d doubled, %d contents listed", len(acked), lost, doubled, len(ids)))
}

func TestSIGKILLWithAQueuedSpoolReplaysItAtStartExactlyOnce(t *testing.T) {
	rec := record.New(t, "Mimo killed with SIGKILL while writes wait in its spool (Postgres cut), then started again with Postgres back, replays the spool at start-up: every queued write is stored, none lost, none doubled")
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{mimoserver.WithBreaker(3, spoolReset)}})
	const ns = "durability-spool"
	m := env.Mimo()

	restore := toxics.Cut(t, env.Proxy(harness.ProxyPostgres))
	acked := queueWrites(t, env.Client(), ns, "the warehouse inventory", 200)
	harness.WaitFor(t, spoolWithin, "every write queued in the spool", m.SpoolPending(func(v float64) bool { return v == float64(len(acked)) }))
	rec.Measure("spool_pending_at_kill", float64(len(acked)), "count")

	env.Kill(harness.Mimo)
	restore()
	restarted := time.Now()
	env.StartContainer(harness.Mimo)
	rec.Measure("ready_after_restart", latency.MS(time.Since(restarted)), "ms")
	harness.WaitFor(t, spoolWithin, "the spool replayed", m.SpoolPending(func(v float64) bool { return v == 0 }))
	rec.Measure("replayed_after_restart", latency.MS(time.Since(restarted)), "ms")
	checkExactlyOnce(t, rec, env.Client(), ns, acked)
}

func TestSIGKILLInTheMiddleOfTheReplayStillAppliesEachWriteOnce(t *testing.T) {
	const queued = 2000
	rec := record.New(t, fmt.Sprintf("Mimo killed with SIGKILL in the middle of replaying a spool of %d writes (Postgres 100 ms away, so the replay takes a while), then started again, finishes the replay: every write stored exactly once; during the replay mimo_spool_pending follows what is left", queued))
	env := harness.Start(t, harness.Options{Record: rec, Mimo: []testcontainers.ContainerCustomizer{mimoserver.WithBreaker(3, spoolReset)}})
	const ns = "durability-replay"
	m := env.Mimo()

	restore := toxics.Cut(t, env.Proxy(harness.ProxyPostgres))
	acked := queueWrites(t, env.Client(), ns, "the freight manifests", queued)
	full := int64(len(acked))
	harness.WaitFor(t, spoolWithin, "every write queued in the spool", m.SpoolPending(func(v float64) bool { return v == float64(full) }))

	// Postgres back, but 100 ms away: the replay, a few round trips for
	// each batch of up to 256 queued stores, is slow enough to be caught
	// in its middle. /health reads the spool itself, so it is what says
	// the replay is under way.
	slow := toxics.Add(t, env.Proxy(harness.ProxyPostgres), toxics.Must(toxics.Latency(100, 0)))
	began := time.Now()
	restore()
	var atKill int64
	harness.WaitFor(t, spoolWithin, "/health: the replay half done", spoolInHealth(m, func(n int64) bool { atKill = n; return n > 0 && n <= full/2 }))
	// The gauge is checked while the replay goes on, not required: the
	// crash below is the scenario's point.
	gaugeFollows, detail := false, ""
	deadline := time.Now().Add(5 * time.Second)
	for !gaugeFollows && time.Now().Before(deadline) {
		gaugeFollows, detail = m.SpoolPending(func(v float64) bool { return v < float64(full) })()
		if !gaugeFollows {
			time.Sleep(100 * time.Millisecond) // polling a gauge, not waiting for time to pass
		}
	}
	env.Kill(harness.Mimo)
	assert.True(t, gaugeFollows, "mimo_spool_pending goes down during a replay, as /health's spool pending does (%d of %d left there); gauge: %s", atKill, full, detail)
	rec.Measure("spool_pending_at_kill", float64(atKill), "count")
	rec.Measure("replay_time_before_kill", latency.MS(time.Since(began)), "ms")
	t.Logf("killed with %d of %d records pending", atKill, full)

	slow()
	restarted := time.Now()
	env.StartContainer(harness.Mimo)
	harness.WaitFor(t, spoolWithin, "the replay finished after the restart", spoolInHealth(m, func(n int64) bool { return n == 0 }))
	rec.Measure("replayed_after_restart", latency.MS(time.Since(restarted)), "ms")
	checkExactlyOnce(t, rec, env.Client(), ns, acked)
}

// spoolInHealth is the condition "/health's spool pending satisfies pred".
func spoolInHealth(m *harness.MimoServer, pred func(int64) bool) func() (bool, string) {
	return func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := m.Client().Do(ctx, http.MethodGet, "/health", nil)
		if err != nil {
			return false, err.Error()
		}
		var h struct {
			Spool struct {
				Pending int64 `json:"pending"`
			} `json:"spool"`
		}
		if err := r.Decode(&h); err != nil {
			return false, err.Error()
		}
		return pred(h.Spool.Pending), fmt.Sprintf("/health: spool pending %d", h.Spool.Pending)
	}
}
