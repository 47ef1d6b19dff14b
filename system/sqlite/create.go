package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"mimo/system"
	"mimo/system/internal/memorykit"
)

// CreateMemory stores m as mimo.Store documents, normalised as
// memorykit.Prepare says (namespace "" is the default one, an empty
// ContentHash is computed, zero timestamps are now). Errors: EINVALID (nil
// memory, empty ID, metadata not a JSON object, an embedding whose length
// is not its Dim, NUL bytes or invalid UTF-8), ECONFLICT (ID in use),
// ENOTFOUND (Supersedes names no memory of the namespace), EUNAVAILABLE.
func (s *Store) CreateMemory(ctx context.Context, m *mimo.Memory) (*mimo.Memory, bool, error) {
	return memorykit.CreateOne(ctx, s.CreateMemories, m)
}

// CreateMemories stores ms in one transaction, each item as CreateMemory
// would, in order: an item may supersede one stored earlier in the batch,
// and a repeated content resolves to its first item. An item's own failure
// (EINVALID, ENOTFOUND, ECONFLICT) is its CreateResult.Err and leaves no
// trace; the others are still stored. The call fails, storing nothing, only
// when the transaction itself does (EUNAVAILABLE, a cancelled context).
func (s *Store) CreateMemories(ctx context.Context, ms []*mimo.Memory) ([]mimo.CreateResult, error) {
	results := make([]mimo.CreateResult, len(ms))
	if len(ms) == 0 {
		return results, nil
	}
	err := s.write(ctx, "sqlite: create memories", func(w *wtx) error {
		b := newBatch(w)
		for i, m := range ms {
			stored, created, err := b.add(m)
			if err != nil {
				if !memorykit.ItemError(err) {
					return err
				}
				results[i] = mimo.CreateResult{Err: err}
				continue
			}
			results[i] = mimo.CreateResult{Memory: stored, Created: created}
		}
		return b.flush()
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// batch checks each new memory against the database and the items before
// it (only reads), then writes all that passed with a few multi-row
// statements. Checking first means no write can fail for one item alone,
// so no savepoint per item is needed; and few statements matter because
// the full-text index flushes its buffer to disk at every statement that
// fires its triggers.
type batch struct {
	w      *wtx
	rows   []newRow
	byHash map[string]*mimo.Memory // namespace + "\x00" + hash of new rows
	byID   map[string]string       // ID of new rows → namespace
}

// newRow is one memory to insert, with its encoded columns.
type newRow struct {
	m          *mimo.Memory
	tags, meta string
	blob       []byte
}

func newBatch(w *wtx) *batch {
	return &batch{w: w, byHash: map[string]*mimo.Memory{}, byID: map[string]string{}}
}

// add checks m and queues it. It returns the memory the caller gets: the
// new one (created) or the one that already holds the content.
func (b *batch) add(m *mimo.Memory) (*mimo.Memory, bool, error) {
	r, err := prepare(m)
	if err != nil {
		return nil, false, err
	}
	c := r.m
	key := c.Namespace + "\x00" + c.ContentHash
	if earlier, ok := b.byHash[key]; ok {
		return earlier, false, nil
	}
	existing, err := scanMemory(b.w.queryRow(`SELECT `+memoryCols+` FROM memories m WHERE m.namespace = ? AND m.content_hash = ?`,
		c.Namespace, c.ContentHash))
	if err == nil {
		return existing, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}
	taken, err := b.exists(`SELECT 1 FROM memories WHERE id = ?`, c.ID)
	if err != nil {
		return nil, false, err
	}
	if _, queued := b.byID[c.ID]; taken || queued {
		return nil, false, memorykit.IDTaken(c.ID)
	}
	if c.Supersedes != "" {
		found := b.byID[c.Supersedes] == c.Namespace
		if !found {
			if found, err = b.exists(`SELECT 1 FROM memories WHERE namespace = ? AND id = ?`, c.Namespace, c.Supersedes); err != nil {
				return nil, false, err
			}
		}
		if !found {
			return nil, false, memorykit.SupersededNotFound(c.Supersedes)
		}
	}
	b.rows = append(b.rows, r)
	b.byHash[key] = c
	b.byID[c.ID] = c.Namespace
	return c, true, nil
}

func (b *batch) exists(query string, args ...any) (bool, error) {
	var one int
	err := b.w.queryRow(query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// rowsPerInsert bounds one multi-row INSERT: 14 parameters a row stays far
// below SQLite's limit on parameters.
const rowsPerInsert = 500

// flush writes the queued memories, their change-log entries and their
// supersedes, in input order.
func (b *batch) flush() error {
	for start := 0; start < len(b.rows); start += rowsPerInsert {
		chunk := b.rows[start:min(start+rowsPerInsert, len(b.rows))]
		args := make([]any, 0, 14*len(chunk))
		for _, r := range chunk {
			c := r.m
			args = append(args, c.ID, c.Namespace, c.Content, c.ContentHash, string(c.Category), c.Importance,
				r.tags, r.meta, micros(c.CreatedAt), micros(c.UpdatedAt),
				nullString(c.Supersedes), r.blob, c.EmbeddingModel, c.EmbeddingDim)
		}
		if _, err := b.w.exec(`INSERT INTO memories (id, namespace, content, content_hash, category, importance,
				tags, metadata, created_at, updated_at, supersedes, embedding, embedding_model, embedding_dim)
			VALUES `+repeatJoin("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", len(chunk)), args...); err != nil {
			return err
		}
	}
	if err := b.flushAccess(); err != nil {
		return err
	}

	var log []any
	for _, r := range b.rows {
		log = append(log, mimo.OpUpsert, r.m.ID, r.m.Namespace)
		if r.m.Supersedes != "" {
			log = append(log, mimo.OpUpsert, r.m.Supersedes, r.m.Namespace)
			if _, err := b.w.exec(`UPDATE memories SET superseded_by = ? WHERE namespace = ? AND id = ?`,
				r.m.ID, r.m.Namespace, r.m.Supersedes); err != nil {
				return err
			}
		}
	}
	for start := 0; start < len(log); start += 3 * rowsPerInsert {
		chunk := log[start:min(start+3*rowsPerInsert, len(log))]
		if _, err := b.w.exec(`INSERT INTO changes (op, memory_id, namespace) VALUES `+
			repeatJoin("(?, ?, ?)", len(chunk)/3), chunk...); err != nil {
			return err
		}
	}
	return nil
}

// flushAccess writes the access counts and times the queued memories
// came with (imports carry them) into memory_access. A memory never
// accessed gets no row: none reads as count 0, never accessed.
func (b *batch) flushAccess() error {
	var args []any
	for _, r := range b.rows {
		c := r.m
		if c.AccessCount == 0 && c.LastAccessedAt == nil {
			continue
		}
		var accessed sql.NullInt64
		if c.LastAccessedAt != nil {
			accessed = sql.NullInt64{Int64: micros(*c.LastAccessedAt), Valid: true}
		}
		args = append(args, c.ID, c.AccessCount, accessed)
	}
	for start := 0; start < len(args); start += 3 * rowsPerInsert {
		chunk := args[start:min(start+3*rowsPerInsert, len(args))]
		if _, err := b.w.exec(`INSERT INTO memory_access (seq, access_count, last_accessed_at)
			SELECT m.seq, v.column2, v.column3
			FROM (VALUES `+repeatJoin("(?, ?, ?)", len(chunk)/3)+`) v JOIN memories m ON m.id = v.column1`,
			chunk...); err != nil {
			return err
		}
	}
	return nil
}

// repeatJoin returns n copies of s joined with commas.
func repeatJoin(s string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+", ", n), ", ")
}

// prepare checks m and returns the normalised copy that will be stored
// (see memorykit.Prepare), with its encoded columns.
func prepare(m *mimo.Memory) (newRow, error) {
	c, err := memorykit.Prepare(m)
	if err != nil {
		return newRow{}, err
	}
	tags, err := encodeTags(c.Tags)
	if err != nil {
		return newRow{}, err
	}
	return newRow{m: c, tags: tags, meta: string(c.Metadata), blob: vectorBlob(c.Embedding)}, nil
}
