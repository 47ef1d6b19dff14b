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

	mu     sync.Mutex
	err    error
	writes map[string]int // "create <id>", "update <id>", "delete <id>"
	pings  int
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

func (s *SwitchStore) check() error {
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
	if err := s.check(); err != nil {
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
	if err := s.check(); err != nil {
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
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.GetMemory(ctx, namespace, id)
}

// GetMemories implements mimo.Store.
func (s *SwitchStore) GetMemories(ctx context.Context, namespace string, ids []string) ([]*mimo.Memory, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.GetMemories(ctx, namespace, ids)
}

// TouchMemories implements mimo.Store.
func (s *SwitchStore) TouchMemories(ctx context.Context, namespace string, ids []string, at time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.TouchMemories(ctx, namespace, ids, at)
}

// UpdateMemory implements mimo.Store.
func (s *SwitchStore) UpdateMemory(ctx context.Context, namespace, id string, u mimo.MemoryUpdate) (*mimo.Memory, error) {
	if err := s.check(); err != nil {
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
	if err := s.check(); err != nil {
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
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.ListMemories(ctx, q)
}

// TextSearch implements mimo.Store.
func (s *SwitchStore) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) ([]mimo.TextHit, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.TextSearch(ctx, query, f, limit)
}

// RecentMemories implements mimo.Store.
func (s *SwitchStore) RecentMemories(ctx context.Context, f mimo.Filter, limit int) ([]*mimo.Memory, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.RecentMemories(ctx, f, limit)
}

// CountMemories implements mimo.Store.
func (s *SwitchStore) CountMemories(ctx context.Context, namespace string) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	return s.Store.CountMemories(ctx, namespace)
}

// Changes implements mimo.Store.
func (s *SwitchStore) Changes(ctx context.Context, after int64, limit int) ([]mimo.Change, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.Changes(ctx, after, limit)
}

// LastChange implements mimo.Store.
func (s *SwitchStore) LastChange(ctx context.Context) (int64, error) {
	if err := s.check(); err != nil {
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
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}
