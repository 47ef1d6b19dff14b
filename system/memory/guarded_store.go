package memory

import (
	"context"
	"errors"
	"time"

	"mimo/system"
	"mimo/system/breaker"
)

// guardedStore is the store behind the db circuit: every call goes
// through the breaker, so after MIMO_BREAKER_FAILURES calls in a row that
// could not reach the database the service stops waiting on it (each call
// is refused at once, EUNAVAILABLE wrapping breaker.ErrOpen) until the
// reset time lets one probe through.
//
// Only EUNAVAILABLE counts as a failure: a missing memory, a bad argument
// or a conflict is the database answering. A call whose caller went away
// (its context cancelled) says nothing about the database and counts as
// neither; a deadline that passed does count, since a hung database is
// what it usually means.
type guardedStore struct {
	mimo.Store
	b *breaker.Breaker
}

func (g *guardedStore) guard(ctx context.Context, call func() error) error {
	var err error
	berr := g.b.Do(func() error {
		err = call()
		if mimo.ErrorCode(err) == mimo.EUNAVAILABLE && !errors.Is(ctx.Err(), context.Canceled) {
			return err
		}
		return nil
	})
	if berr != nil && err == nil {
		return berr // refused: the circuit is open
	}
	return err
}

func (g *guardedStore) CreateMemory(ctx context.Context, m *mimo.Memory) (stored *mimo.Memory, created bool, err error) {
	err = g.guard(ctx, func() error {
		var err error
		stored, created, err = g.Store.CreateMemory(ctx, m)
		return err
	})
	return stored, created, err
}

func (g *guardedStore) CreateMemories(ctx context.Context, ms []*mimo.Memory) (rs []mimo.CreateResult, err error) {
	err = g.guard(ctx, func() error {
		var err error
		rs, err = g.Store.CreateMemories(ctx, ms)
		return err
	})
	return rs, err
}

func (g *guardedStore) GetMemory(ctx context.Context, namespace, id string) (m *mimo.Memory, err error) {
	err = g.guard(ctx, func() error {
		var err error
		m, err = g.Store.GetMemory(ctx, namespace, id)
		return err
	})
	return m, err
}

func (g *guardedStore) GetMemories(ctx context.Context, namespace string, ids []string) (ms []*mimo.Memory, err error) {
	err = g.guard(ctx, func() error {
		var err error
		ms, err = g.Store.GetMemories(ctx, namespace, ids)
		return err
	})
	return ms, err
}

func (g *guardedStore) GetMemoriesNoVector(ctx context.Context, namespace string, ids []string) (ms []*mimo.Memory, err error) {
	err = g.guard(ctx, func() error {
		var err error
		ms, err = g.Store.GetMemoriesNoVector(ctx, namespace, ids)
		return err
	})
	return ms, err
}

func (g *guardedStore) TouchMemories(ctx context.Context, namespace string, ids []string, at time.Time) error {
	return g.guard(ctx, func() error { return g.Store.TouchMemories(ctx, namespace, ids, at) })
}

func (g *guardedStore) UpdateMemory(ctx context.Context, namespace, id string, u mimo.MemoryUpdate) (m *mimo.Memory, err error) {
	err = g.guard(ctx, func() error {
		var err error
		m, err = g.Store.UpdateMemory(ctx, namespace, id, u)
		return err
	})
	return m, err
}

func (g *guardedStore) DeleteMemory(ctx context.Context, namespace, id string) error {
	return g.guard(ctx, func() error { return g.Store.DeleteMemory(ctx, namespace, id) })
}

func (g *guardedStore) ListMemories(ctx context.Context, q mimo.ListQuery) (p *mimo.ListPage, err error) {
	err = g.guard(ctx, func() error {
		var err error
		p, err = g.Store.ListMemories(ctx, q)
		return err
	})
	return p, err
}

func (g *guardedStore) TextSearch(ctx context.Context, query string, f mimo.Filter, limit int) (hits []mimo.TextHit, err error) {
	err = g.guard(ctx, func() error {
		var err error
		hits, err = g.Store.TextSearch(ctx, query, f, limit)
		return err
	})
	return hits, err
}

func (g *guardedStore) RecentMemories(ctx context.Context, f mimo.Filter, limit int) (ms []*mimo.Memory, err error) {
	err = g.guard(ctx, func() error {
		var err error
		ms, err = g.Store.RecentMemories(ctx, f, limit)
		return err
	})
	return ms, err
}

func (g *guardedStore) CountMemories(ctx context.Context, namespace string) (n int64, err error) {
	err = g.guard(ctx, func() error {
		var err error
		n, err = g.Store.CountMemories(ctx, namespace)
		return err
	})
	return n, err
}

func (g *guardedStore) Changes(ctx context.Context, after int64, limit int) (cs []mimo.Change, err error) {
	err = g.guard(ctx, func() error {
		var err error
		cs, err = g.Store.Changes(ctx, after, limit)
		return err
	})
	return cs, err
}

func (g *guardedStore) LastChange(ctx context.Context) (seq int64, err error) {
	err = g.guard(ctx, func() error {
		var err error
		seq, err = g.Store.LastChange(ctx)
		return err
	})
	return seq, err
}

func (g *guardedStore) Ping(ctx context.Context) error {
	return g.guard(ctx, func() error { return g.Store.Ping(ctx) })
}
