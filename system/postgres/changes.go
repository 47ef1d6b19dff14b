package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// changeLockKey is the advisory lock every writer holds from the moment it
// appends to the change log until it commits. Without it, seq values are
// handed out at insert time but become visible at commit time, so seq 11
// could commit before seq 10 and a follower reading "seq > 10" after seeing
// 11 would skip 10 forever. Holding one lock from nextval to commit makes
// change rows commit in seq order. Writers still run their other statements
// in parallel; only the append and commit are serialised. The value is
// "mimo" in ASCII, distinct from the migration lock.
const changeLockKey int64 = 0x6d696d6f

// Bounds on one read of the change log (the same as the SQLite store's).
const (
	DefaultChangesLimit = 1000
	MaxChangesLimit     = 10000
)

// changeLog collects the change-log entries of one transaction, in order.
type changeLog struct {
	ops, ids, namespaces []string
}

func (c *changeLog) upsert(namespace, id string) { c.add(mimo.OpUpsert, namespace, id) }
func (c *changeLog) delete(namespace, id string) { c.add(mimo.OpDelete, namespace, id) }

// append adds o's entries after c's.
func (c *changeLog) append(o *changeLog) {
	c.ops = append(c.ops, o.ops...)
	c.ids = append(c.ids, o.ids...)
	c.namespaces = append(c.namespaces, o.namespaces...)
}

func (c *changeLog) add(op, namespace, id string) {
	c.ops = append(c.ops, op)
	c.ids = append(c.ids, id)
	c.namespaces = append(c.namespaces, namespace)
}

// write appends the collected entries to the change log, in order, under
// changeLockKey. Call it last in the transaction, right before commit, so
// the lock is held as briefly as possible.
func (c *changeLog) write(ctx context.Context, tx pgx.Tx) error {
	if len(c.ops) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, changeLockKey)
	b.Queue(`INSERT INTO changes (op, memory_id, namespace)
		SELECT c.op, c.id, c.ns
		FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(op, id, ns, n)
		ORDER BY c.n`, c.ops, c.ids, c.namespaces)
	return tx.SendBatch(ctx, b).Close()
}

// Changes returns up to limit change-log entries with Seq > after, in
// order (limit 0 or less means DefaultChangesLimit; more than
// MaxChangesLimit is cut to it). Each upsert carries the memory's current
// state with its embedding, or nil if it has been deleted since; a delete
// carries only ID and namespace.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]mimo.Change, error) {
	limit = memorykit.Limit(limit, DefaultChangesLimit, MaxChangesLimit)
	var out []mimo.Change
	err := s.read(ctx, "changes", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT seq, op, memory_id, namespace FROM changes
			WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (mimo.Change, error) {
			var c mimo.Change
			err := row.Scan(&c.Seq, &c.Op, &c.ID, &c.Namespace)
			return c, err
		})
		if err != nil {
			return err
		}
		var ids []string
		for _, c := range out {
			if c.Op == mimo.OpUpsert {
				ids = append(ids, c.ID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		// A memory deleted after its upsert was logged is simply absent:
		// its Change keeps a nil Memory, and its delete entry follows.
		rows, err = s.pool.Query(ctx, `SELECT `+memoryColumns+` FROM memories m WHERE m.id = ANY($1)`, ids)
		if err != nil {
			return err
		}
		ms, err := collectMemories(rows)
		if err != nil {
			return err
		}
		byID := make(map[string]*mimo.Memory, len(ms))
		for _, m := range ms {
			byID[m.ID] = m
		}
		for i := range out {
			if m := byID[out[i].ID]; out[i].Op == mimo.OpUpsert && m != nil && m.Namespace == out[i].Namespace {
				c := *m // each entry gets its own value; callers may change it
				out[i].Memory = &c
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LastChange returns the highest Seq of the change log, 0 when it is empty.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	err := s.read(ctx, "last change", func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq)
	})
	return seq, err
}
