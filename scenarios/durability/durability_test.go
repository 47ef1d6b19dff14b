// Package durability is the validation scenario of Mimo crashing while it
// writes: whatever Mimo acknowledged before a SIGKILL is there, whole and
// once, after it starts again.
package durability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	mimo "mimo/system"
)

const (
	// writers is how many goroutines store at once, so the kill lands with
	// several writes in flight.
	writers = 8
	// minAcked is how many acknowledged writes there are before the kill.
	minAcked = 200
	// ackedWithin bounds the wait for minAcked acknowledgements; the
	// condition, not the bound, is what the test waits for.
	ackedWithin = 2 * time.Minute
	// poll is the pause between two checks of a condition.
	poll = 50 * time.Millisecond
	// pageSize is the list page size, the largest Mimo allows, so paging
	// crosses several pages but few.
	pageSize = mimo.MaxListLimit
)

func TestSIGKILLDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	env := harness.Start(t, harness.Options{})
	c := env.Client()
	ctx := context.Background()
	const ns = "durability"

	// acked maps content to the id Mimo acknowledged it under (201
	// created, or 202 queued, which the spec counts as acknowledged too).
	var (
		mu      sync.Mutex
		acked   = map[string]string{}
		count   atomic.Int64
		failed  atomic.Int64
		stop    = make(chan struct{})
		writing sync.WaitGroup
	)
	for w := range writers {
		writing.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				content := fmt.Sprintf("writer %d wrote entry %d about the nightly ledger reconciliation", w, i)
				res, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content})
				if err != nil {
					// Once Mimo is killed every write fails; that one was
					// never acknowledged and may or may not be stored.
					// The writer stops rather than hammer a dead port.
					failed.Add(1)
					return
				}
				if !res.Created && !res.Queued {
					t.Errorf("new content %q answered as existing %s", content, res.Memory.ID)
					continue
				}
				mu.Lock()
				acked[content] = res.Memory.ID
				mu.Unlock()
				count.Add(1)
			}
		})
	}

	deadline := time.Now().Add(ackedWithin)
	for count.Load() < minAcked && failed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(poll)
	}
	if count.Load() < minAcked || failed.Load() > 0 {
		close(stop)
		writing.Wait()
		require.FailNow(t, "writes failed before the kill",
			"%d of %d acknowledged within %v, %d failed", count.Load(), minAcked, ackedWithin, failed.Load())
	}

	// The writers are still going: the kill lands mid-write.
	env.Kill(harness.Mimo)
	close(stop)
	writing.Wait()
	mu.Lock()
	want := make(map[string]string, len(acked))
	for k, v := range acked {
		want[k] = v
	}
	mu.Unlock()
	t.Logf("%d writes acknowledged before SIGKILL, %d failed after it", len(want), failed.Load())

	env.StartContainer(harness.Mimo)
	c = env.Client()

	for content, id := range want {
		got, err := c.Get(ctx, ns, id)
		if !assert.NoError(t, err, "acknowledged memory %s (%q) is readable", id, content) {
			continue
		}
		assert.Equal(t, content, got.Content, "memory %s keeps its content", id)
	}

	seen := map[string]int{}
	pages := 0
	for cursor := ""; ; {
		page := list(t, env.MimoURL(), ns, cursor)
		pages++
		for _, m := range page.Memories {
			seen[m.Content]++
		}
		if page.NextCursor == "" {
			break
		}
		require.NotEqual(t, cursor, page.NextCursor, "paging advances")
		cursor = page.NextCursor
	}
	t.Logf("the namespace lists %d memories over %d pages", len(seen), pages)
	for content, id := range want {
		assert.Equal(t, 1, seen[content], "acknowledged memory %s is listed exactly once", id)
	}
	for content, n := range seen {
		assert.Equal(t, 1, n, "every listed content appears once: %q", content)
	}
}

// list reads one page of the namespace with GET /api/memories.
func list(t *testing.T, base, ns, cursor string) mimo.ListPage {
	t.Helper()
	q := url.Values{"namespace": {ns}, "limit": {fmt.Sprint(pageSize)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/memories?"+q.Encode(), nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET /api/memories")
	var page mimo.ListPage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	return page
}
