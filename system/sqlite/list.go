package sqlite

import (
	"context"
	"iter"
	"strings"

	"mimo/system"
	"mimo/system/internal/memorykit"
)

// ListMemories returns one page of ns's memories matching q, newest first
// by CreatedAt (ties by ID), without vectors. Limit 0 means
// DefaultListLimit; more than MaxListLimit is cut to it. A cursor this store
// did not make is EINVALID (see memorykit.DecodeCursor).
func (s *Store) ListMemories(ctx context.Context, q mimo.ListQuery) (*mimo.ListPage, error) {
	limit := memorykit.ListLimit(q.Limit)
	where, args := filterSQL(q.Filter)
	if q.Cursor != "" {
		created, id, err := memorykit.DecodeCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		where += ` AND (m.created_at < ? OR (m.created_at = ? AND m.id < ?))`
		args = append(args, micros(created), micros(created), id)
	}
	// One more than asked tells whether another page follows.
	args = append(args, limit+1)
	rows, err := s.reader.QueryContext(ctx, `SELECT `+listCols+` FROM memories m WHERE `+where+
		` ORDER BY m.created_at DESC, m.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: list memories")
	}
	ms, err := scanMemories(rows)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: list memories")
	}
	return memorykit.Page(ms, limit), nil
}

// RecentMemories returns up to limit memories matching f, newest first,
// without vectors. A limit of 0 or less means DefaultListLimit; larger
// limits are the caller's to bound (memorykit.RecentLimit).
func (s *Store) RecentMemories(ctx context.Context, f mimo.Filter, limit int) ([]*mimo.Memory, error) {
	limit = memorykit.RecentLimit(limit)
	where, args := filterSQL(f)
	rows, err := s.reader.QueryContext(ctx, `SELECT `+listCols+` FROM memories m WHERE `+where+
		` ORDER BY m.created_at DESC, m.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: recent memories")
	}
	ms, err := scanMemories(rows)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: recent memories")
	}
	return ms, nil
}

// CountMemories counts ns's memories, superseded ones included, or every
// memory when ns is "*".
func (s *Store) CountMemories(ctx context.Context, ns string) (int64, error) {
	var n int64
	var err error
	if ns == "*" {
		err = s.reader.QueryRowContext(ctx, `SELECT count(*) FROM memories`).Scan(&n)
	} else {
		err = s.reader.QueryRowContext(ctx, `SELECT count(*) FROM memories WHERE namespace = ?`, memorykit.Namespace(ns)).Scan(&n)
	}
	if err != nil {
		return 0, dbErr(ctx, err, "sqlite: count memories")
	}
	return n, nil
}

// filterSQL returns the WHERE clause (over alias m) and arguments for f.
func filterSQL(f mimo.Filter) (string, []any) {
	var b strings.Builder
	args := []any{memorykit.Namespace(f.Namespace)}
	b.WriteString(`m.namespace = ?`)
	if !f.IncludeSuperseded {
		b.WriteString(` AND m.superseded_by IS NULL`)
	}
	if len(f.Categories) > 0 {
		b.WriteString(` AND m.category IN (` + placeholders(len(f.Categories)) + `)`)
		for _, c := range f.Categories {
			args = append(args, string(c))
		}
	}
	seen := map[string]bool{}
	for _, tag := range f.Tags {
		if seen[tag] {
			continue
		}
		seen[tag] = true
		b.WriteString(` AND EXISTS (SELECT 1 FROM json_each(m.tags) WHERE json_each.value = ?)`)
		args = append(args, tag)
	}
	if !f.Since.IsZero() {
		b.WriteString(` AND m.created_at >= ?`)
		args = append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		b.WriteString(` AND m.created_at < ?`)
		args = append(args, micros(f.Until))
	}
	return b.String(), args
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// chunks yields ss in slices of at most n.
func chunks(ss []string, n int) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		for len(ss) > 0 {
			k := min(n, len(ss))
			if !yield(ss[:k]) {
				return
			}
			ss = ss[k:]
		}
	}
}
