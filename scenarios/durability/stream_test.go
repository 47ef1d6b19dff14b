package durability

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"mimo/harness/mimoclient"
	mimo "mimo/system"
)

// stream is writers goroutines storing distinct contents into one
// namespace until Stop, remembering what Mimo acknowledged (201 created,
// or 202 queued, which the spec counts as acknowledged too).
type stream struct {
	ok, failed atomic.Int64
	// queued counts the acknowledged writes Mimo answered 202 (in ok too).
	queued  atomic.Int64
	stop    chan struct{}
	writing sync.WaitGroup

	mu    sync.Mutex
	acked map[string]string // content → id
	codes map[string]int64  // error code → failed writes
}

// startStream starts the writers. With stopOnError a writer stops at its
// first failed write — Mimo itself is gone, and hammering a dead port
// helps nothing; without it, writers keep going through a dependency's
// outage, counting the failures by code.
func startStream(t *testing.T, c *mimoclient.Client, ns, subject string, stopOnError bool) *stream {
	s := &stream{stop: make(chan struct{}), acked: map[string]string{}, codes: map[string]int64{}}
	ctx := context.Background()
	for w := range writers {
		s.writing.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-s.stop:
					return
				default:
				}
				content := fmt.Sprintf("writer %d wrote entry %d about %s", w, i, subject)
				res, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content})
				if err != nil {
					// Never acknowledged: it may or may not be stored.
					s.failed.Add(1)
					s.mu.Lock()
					s.codes[mimo.ErrorCode(err)]++
					s.mu.Unlock()
					if stopOnError {
						return
					}
					continue
				}
				if !res.Created && !res.Queued {
					t.Errorf("new content %q answered as existing %s", content, res.Memory.ID)
					continue
				}
				s.mu.Lock()
				s.acked[content] = res.Memory.ID
				s.mu.Unlock()
				if res.Queued {
					s.queued.Add(1)
				}
				s.ok.Add(1)
			}
		})
	}
	return s
}

// Stop stops the writers, waits for them, and returns what was
// acknowledged.
func (s *stream) Stop() map[string]string {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.writing.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.acked)
}

// failures returns the failed writes by error code.
func (s *stream) failures() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.codes)
}

// listContents lists every memory of ns, pageSize at a time, and counts
// each content.
func listContents(t *testing.T, c *mimoclient.Client, ns string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for m, err := range c.ListAll(context.Background(), mimo.ListQuery{Filter: mimo.Filter{Namespace: ns}, Limit: pageSize}) {
		require.NoError(t, err)
		seen[m.Content]++
	}
	return seen
}
