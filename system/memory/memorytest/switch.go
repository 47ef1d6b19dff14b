package memorytest

import (
	"context"
	"sync"
	"time"

	"mimo/system"
)

// SwitchStore is a store that fails while told to, as a database that
// went away does: every call returns the given error (EUNAVAILABLE for an
// outage) without reaching the store underneath. It counts the writes that
// did reach it, so tests can check that each queued write was applied
// exactly once.
type SwitchStore struct {
	mimo.Store

	mu      sync.Mutex
	err     error
	writes  map[string]int  // "create <id>", "update <id>", "delete <id>"
	pings   int             // pings that reached the store, failed ones included
	held    chan struct{}   // closed by the release Hold returned; nil when not holding
	holds   map[string]bool // the methods held; empty holds every one
	waiting chan string     // the name of each call that starts waiting on held
}

// NewSwitchStore wraps st, working.
func NewSwitchStore(st mimo.Store) *SwitchStore {
	return &SwitchStore{Store: st, writes: map[string]int{}}
}

// Fail makes every call fail with err until Recover.
func (s *SwitchStore) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Recover makes calls reach the store again.
func (s *SwitchStore) Recover() { s.Fail(nil) }

// Writes returns how many times the write named key ("create ID",
// "update ID", "delete ID") reached the store and succeeded.
func (s *SwitchStore) Writes(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes[key]
}

// Hold makes every call of the methods named ("Ping", "Changes", …; none
// named means every method) wait, as on a database that answers very
// late, until release is called or the call's context ends (then it fails
// EUNAVAILABLE, as a query timeout does). Each call that starts waiting
// sends its method's name on waiting, so a test knows that a call is in
// flight and blocked without timing it.
func (s *SwitchStore) Hold(methods ...string) (waiting <-chan string, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	held, w := make(chan struct{}), make(chan string, 64)
	s.held, s.waiting, s.holds = held, w, map[string]bool{}
	for _, m := range methods {
		s.holds[m] = true
	}
	var once sync.Once
	return w, func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			close(held)
			if s.held == held {
				s.held = nil
			}
		})
	}
}

func (s *SwitchStore) check(ctx context.Context, op string) error {
	s.mu.Lock()
	held, waiting := s.held, s.waiting
	if len(s.holds) > 0 && !s.holds[op] {
		held = nil
	}
	s.mu.Unlock()
	if held != nil {
		select {
		case waiting <- op:
		default: // nobody is counting this many
		}
		select {
		case <-held:
		case <-ctx.Done():
			return mimo.Wrap(mimo.EUNAVAILABLE, ctx.Err(), "database: no answer in time")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *SwitchStore) count(op, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes[op+" "+id]++
}

// CreateMemory implements mimo.Store.
func (s *SwitchStore) CreateMemory(ctx context.Context, m *mimo.Memory) (*mimo.Memory, bool, error) {
	if err := s.check(ctx, "CreateMemory"); err != nil {
		return nil, false, err
	}
	stored, created, err := s.Store.CreateMemory(ctx, m)
	if err == nil && created {
		s.count("create", stored.ID)
	}
	return stored, created, err
}

// CreateMemories implements mimo.Store.
func (s *SwitchStore) CreateMemories(ctx context.Context, ms []*mimo.Memory) ([]mimo.CreateResult, error) {
	if err := s.check(ctx, "CreateMemories"); err != nil {
		return nil, err
	}
	rs, err := s.Store.CreateMemories(ctx, ms)
	for _, r := range rs {
		if r.Err == nil && r.Created {
			s.count("create", r.Memory.ID)
		}
	}
	return rs, err
}

// GetMemory implements mimo.Store.
func (s *SwitchStore) GetMemory(ctx context.Context, namespace, id string) (*mimo.Memory, error) {
	if err := s.check(ctx, "GetMemory"); err != nil {
		return nil, err
	}
	return s.Store.GetMemory(ctx, namespace, id)
}

// GetMemories implements mimo.Store.
func (s *SwitchStore) GetMemories(ctx context.Context, namespace string, ids []string) ([]*mimo.Memory, error) {
	if err := s.check(ctx, "GetMemories"); err != nil {
		return nil, err
	}
	return s.Store.GetMemories(ctx, namespace, ids)
}

// GetMemoriesNoVector implements mimo.Store.
func (s *SwitchStore) GetMemoriesNoVector(ctx context.Context, namespace string, ids []string) ([]*mimo.Memory, error) {
	if err := s.check(ctx, "GetMemoriesNoVector"); err != nil {
		return nil, err
	}
	return s.Store.GetMemoriesNoVector(ctx, namespace, ids)
}

// TouchMemories implements mimo.Store.
func (s *SwitchStore) TouchMemories(ctx context.Context, namespace string, ids []string, at time.Time) error {
	if err := s.check(ctx, "TouchMemories"); err != nil {
		return err
	}
	return s.Store.TouchMemories(ctx, namespace, ids, at)
}

// UpdateMemory implements mimo.Store.
func (s *SwitchStore) UpdateMemory(ctx context.Context, namespace, id string, u mimo.MemoryUpdate) (*mimo.Memory, error) {
	if err := s.check(ctx, "UpdateMemory"); err != nil {
		return nil, err
	}
	m, err := s.Store.UpdateMemory(ctx, namespace, id, u)
	if err == nil {
		s.count("update", id)
	}
	return m, err
}

// DeleteMemory implements mimo.Store.
func (s *SwitchStore) DeleteMemory(ctx context.Context, namespace, id string) error {
	if err := s.check(ctx, "DeleteMemory"); err != nil {
		return err
	}
	err := s.Store.DeleteMemory(ctx, namespace, id)
	if err == nil {
		s.count("delete", id)
	}
	return err
}

// ListMemories implements mimo.Store.
func (s *SwitchStore) ListMemories(ctx context.Context, q mimo.ListQuery) (*mimo.ListPage, error) {
	if err := s.check(ctx, "ListMemories"); err != nil {
		return nil, err
	}
	return s.Store.ListMemories(ctx, q)
}

// TextSearch implements mimo.Store.
func (s *SwitchStore) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) ([]mimo.TextHit, error) {
	if err := s.check(ctx, "TextSearch"); err != nil {
		return nil, err
	}
	return s.Store.TextSearch(ctx, query, f, limit)
}

// RecentMemories implements mimo.Store.
func (s *SwitchStore) RecentMemories(ctx context.Context, f mimo.Filter, limit int) ([]*mimo.Memory, error) {
	if err := s.check(ctx, "RecentMemories"); err != nil {
		return nil, err
	}
	return s.Store.RecentMemories(ctx, f, limit)
}

// CountMemories implements mimo.Store.
func (s *SwitchStore) CountMemories(ctx context.Context, namespace string) (int64, error) {
	if err := s.check(ctx, "CountMemories"); err != nil {
		return 0, err
	}
	return s.Store.CountMemories(ctx, namespace)
}

// Changes implements mimo.Store.
func (s *SwitchStore) Changes(ctx context.Context, after int64, limit int) ([]mimo.Change, error) {
	if err := s.check(ctx, "Changes"); err != nil {
		return nil, err
	}
	return s.Store.Changes(ctx, after, limit)
}

// LastChange implements mimo.Store.
func (s *SwitchStore) LastChange(ctx context.Context) (int64, error) {
	if err := s.check(ctx, "LastChange"); err != nil {
		return 0, err
	}
	return s.Store.LastChange(ctx)
}

// Pings returns how many pings reached the store, failed ones included:
// what a database that went away would have been sent.
func (s *SwitchStore) Pings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pings
}

// Ping implements mimo.Store.
func (s *SwitchStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	s.pings++
	s.mu.Unlock()
	if err := s.check(ctx, "Ping"); err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}
