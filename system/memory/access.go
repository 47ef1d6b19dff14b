package memory

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"mimo/system"
)

// accessRecorder batches the access counts that searches produce, so a
// search never waits on a write (on SQLite, writes are serialised) and a
// burst of searches costs one write transaction a second.
type accessRecorder struct {
	store mimo.Store
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string]map[string]struct{} // namespace → ids
}

// maxPendingAccess bounds memory use if the database is down for long: past
// it, further accesses are dropped (counts are advisory, memories are not).
const maxPendingAccess = 100_000

func newAccessRecorder(store mimo.Store, log *slog.Logger) *accessRecorder {
	return &accessRecorder{store: store, log: log, pending: map[string]map[string]struct{}{}}
}

func (a *accessRecorder) record(namespace string, ids []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	set := a.pending[namespace]
	if set == nil {
		set = map[string]struct{}{}
		a.pending[namespace] = set
	}
	for _, id := range ids {
		if len(set) >= maxPendingAccess {
			return
		}
		set[id] = struct{}{}
	}
}

func (a *accessRecorder) flush(ctx context.Context, at time.Time) {
	a.mu.Lock()
	batch := a.pending
	a.pending = map[string]map[string]struct{}{}
	a.mu.Unlock()
	for ns, set := range batch {
		ids := make([]string, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		if err := a.store.TouchMemories(ctx, ns, ids, micro(at)); err != nil {
			a.log.Warn("recording access counts failed", "namespace", ns, "memories", len(ids), "err", err)
		}
	}
}
