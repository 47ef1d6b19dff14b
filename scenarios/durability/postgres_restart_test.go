package durability

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/record"
	mimo "mimo/system"
)

// Writes keep coming while Postgres is killed and started again: the ones
// Mimo acknowledged are all there afterwards, once each; the ones it
// refused were answered with an error, not silently dropped.
func TestPostgresKilledDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	rec := record.New(t, "Postgres killed with SIGKILL and started again during a stream of writes: every write Mimo acknowledged is there, exactly once; the others were answered with errors")
	env := harness.Start(t, harness.Options{Record: rec})
	c := env.Client()
	ctx := context.Background()
	const ns = "durability-pg"

	var (
		mu       sync.Mutex
		acked    = map[string]string{}
		ok, errs atomic.Int64
		codes    sync.Map // error code → count
		stop     = make(chan struct{})
		writing  sync.WaitGroup
	)
	for w := range writers {
		writing.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				content := fmt.Sprintf("writer %d stored record %d of the payroll export", w, i)
				res, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content})
				if err != nil {
					errs.Add(1)
					n, _ := codes.LoadOrStore(mimo.ErrorCode(err), new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
					continue
				}
				mu.Lock()
				acked[content] = res.Memory.ID
				mu.Unlock()
				ok.Add(1)
			}
		})
	}
	harness.WaitFor(t, ackedWithin, "writes acknowledged before the kill", func() (bool, string) {
		return ok.Load() >= minAcked, fmt.Sprintf("%d acknowledged", ok.Load())
	})

	env.Kill(harness.Postgres)
	killed := ok.Load()
	harness.WaitFor(t, ackedWithin, "writes refused while Postgres is down", func() (bool, string) {
		return errs.Load() >= writers, fmt.Sprintf("%d refused", errs.Load())
	})
	env.StartContainer(harness.Postgres)
	harness.WaitFor(t, ackedWithin, "writes acknowledged again after Postgres is back", func() (bool, string) {
		return ok.Load() >= killed+minAcked, fmt.Sprintf("%d acknowledged, %d before the kill", ok.Load(), killed)
	})
	close(stop)
	writing.Wait()

	mu.Lock()
	want := make(map[string]string, len(acked))
	for k, v := range acked {
		want[k] = v
	}
	mu.Unlock()
	seen := map[string]int{}
	for cursor := ""; ; {
		page := list(t, env.MimoURL(), ns, cursor)
		for _, m := range page.Memories {
			seen[m.Content]++
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	missing, doubled := 0, 0
	for content, id := range want {
		if !assert.Equal(t, 1, seen[content], "acknowledged memory %s is there exactly once", id) {
			missing++
		}
	}
	for content, n := range seen {
		if !assert.Equal(t, 1, n, "%q stored once", content) {
			doubled++
		}
	}
	byCode := map[string]int64{}
	codes.Range(func(k, v any) bool {
		byCode[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	for code := range byCode {
		assert.Contains(t, []string{mimo.EUNAVAILABLE}, code, "refused writes say the database is unavailable")
	}
	require.Positive(t, errs.Load())
	rec.Measure("acknowledged", float64(len(want)), "count")
	rec.Measure("refused_while_down", float64(errs.Load()), "count")
	rec.Measure("acknowledged_missing", float64(missing), "count")
	rec.Measure("stored_twice", float64(doubled), "count")
	rec.Evidence("note", fmt.Sprintf("%d writes acknowledged (%d before the kill), %d refused with %v; after: %d missing, %d doubled, %d listed",
		len(want), killed, errs.Load(), byCode, missing, doubled, len(seen)))
}
