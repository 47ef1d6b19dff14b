package postgres

import (
	"context"
	"strconv"
	"strings"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// where builds the SQL condition for f over the memories aliased m,
// appending its bind parameters to args. It never inlines a value.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	// Each "?" in cond is the next parameter.
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// filter adds f's conditions.
func (w *where) filter(f mimo.Filter) {
	w.add("m.namespace = ?", memorykit.Namespace(f.Namespace))
	if len(f.Categories) > 0 {
		cats := make([]string, len(f.Categories))
		for i, c := range f.Categories {
			cats[i] = string(c)
		}
		w.add("m.category = ANY(?)", cats)
	}
	if len(f.Tags) > 0 {
		w.add("m.tags @> ?::text[]", f.Tags)
	}
	if !f.Since.IsZero() {
		w.add("m.created_at >= ?", memorykit.Time(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("m.created_at < ?", memorykit.Time(f.Until))
	}
	if !f.IncludeSuperseded {
		w.add("m.superseded_by IS NULL")
	}
}

// ListMemories returns one page of memories matching q, newest first by
// CreatedAt, ties broken by ID descending, without embedding vectors. Limit
// 0 means DefaultListLimit; more than MaxListLimit is cut to it. A cursor
// the store did not make is EINVALID.
func (s *Store) ListMemories(ctx context.Context, q mimo.ListQuery) (*mimo.ListPage, error) {
	limit := memorykit.ListLimit(q.Limit)
	var w where
	w.filter(q.Filter)
	if q.Cursor != "" {
		at, id, err := memorykit.DecodeCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		w.add("(m.created_at, m.id) < (?, ?)", at, id)
	}
	// One row more than the page tells whether another page follows.
	ms, err := s.newest(ctx, "list memories", w, limit+1)
	if err != nil {
		return nil, err
	}
	return memorykit.Page(ms, limit), nil
}

// RecentMemories returns up to limit memories matching f, newest first by
// CreatedAt, without embedding vectors. Limit 0 means DefaultListLimit;
// larger limits are the caller's to bound (memorykit.RecentLimit).
func (s *Store) RecentMemories(ctx context.Context, f mimo.Filter, limit int) ([]*mimo.Memory, error) {
	var w where
	w.filter(f)
	return s.newest(ctx, "recent memories", w, memorykit.RecentLimit(limit))
}

// newest returns up to limit memories matching w, newest first, without
// vectors.
func (s *Store) newest(ctx context.Context, op string, w where, limit int) ([]*mimo.Memory, error) {
	w.args = append(w.args, limit)
	sql := `SELECT ` + memoryColumnsNoVector + ` FROM memories m WHERE ` + w.sql() +
		` ORDER BY m.created_at DESC, m.id DESC LIMIT $` + strconv.Itoa(len(w.args))
	var ms []*mimo.Memory
	err := s.read(ctx, op, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, sql, w.args...)
		if err != nil {
			return err
		}
		ms, err = collectMemories(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}
