package sqlite

import (
	"context"

	"mimo/system"
)

// Bounds on one read of the change log.
const (
	DefaultChangesLimit = 1000
	MaxChangesLimit     = 10000
)

// changesQuery reads the change log after a seq, each upsert with its
// memory's current row.
var changesQuery = `SELECT c.seq, c.op, c.memory_id, c.namespace, ` + memoryCols + `
	FROM changes c LEFT JOIN memories m ON c.op = 'upsert' AND m.id = c.memory_id
	WHERE c.seq > ? ORDER BY c.seq LIMIT ?`

// Changes returns up to limit change-log entries with Seq > after, in
// order (limit 0 or less means DefaultChangesLimit; more than
// MaxChangesLimit is cut to it). Each upsert carries the memory's current
// state with its embedding, or nil if it has been deleted since; a delete
// carries only ID and namespace.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]mimo.Change, error) {
	if limit <= 0 {
		limit = DefaultChangesLimit
	}
	limit = min(limit, MaxChangesLimit)
	// Prepared once: every search and every question catches up with the
	// change log first, and parsing this statement anew was most of the
	// cost of finding nothing new.
	st, err := s.stmts.get(ctx, changesQuery)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: read changes")
	}
	rows, err := st.QueryContext(ctx, after, limit)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: read changes")
	}
	defer rows.Close()
	out := []mimo.Change{}
	for rows.Next() {
		var c mimo.Change
		var r memRow
		if err := rows.Scan(append([]any{&c.Seq, &c.Op, &c.ID, &c.Namespace}, r.dest()...)...); err != nil {
			return nil, dbErr(ctx, err, "sqlite: read changes")
		}
		if c.Memory, err = r.memory(); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(ctx, err, "sqlite: read changes")
	}
	return out, nil
}

// LastChange returns the highest Seq of the change log, 0 when it is empty.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.reader.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq); err != nil {
		return 0, dbErr(ctx, err, "sqlite: last change")
	}
	return seq, nil
}
