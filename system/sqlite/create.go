package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"mimo/system"
)

// CreateMemory stores m as mimo.Store documents. A namespace of "" is the
// default namespace, an empty ContentHash is computed from Content, zero
// timestamps are now. Errors: EINVALID (nil memory, empty ID, metadata not
// a JSON object, an embedding whose length is not its Dim), ECONFLICT (ID
// in use), ENOTFOUND (Supersedes names no memory of the namespace),
// EUNAVAILABLE.
func (s *Store) CreateMemory(ctx context.Context, m *mimo.Memory) (*mimo.Memory, bool, error) {
	res, err := s.CreateMemories(ctx, []*mimo.Memory{m})
	if err != nil {
		return nil, false, err
	}
	if res[0].Err != nil {
		return nil, false, res[0].Err
	}
	return res[0].Memory, res[0].Created, nil
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
				if !itemError(err) {
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

// itemError reports whether err belongs to one batch item rather than to
// the whole transaction.
func itemError(err error) bool {
	switch mimo.ErrorCode(err) {
	case mimo.EINVALID, mimo.ENOTFOUND, mimo.ECONFLICT:
		return true
	}
	return false
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
		return nil, false, mimo.Errorf(mimo.ECONFLICT, "memory ID %q is already in use", clip(c.ID))
	}
	if c.Supersedes != "" {
		found := b.byID[c.Supersedes] == c.Namespace
		if !found {
			if found, err = b.exists(`SELECT 1 FROM memories WHERE namespace = ? AND id = ?`, c.Namespace, c.Supersedes); err != nil {
				return nil, false, err
			}
		}
		if !found {
			return nil, false, mimo.Errorf(mimo.ENOTFOUND, "memory %q to supersede not found", clip(c.Supersedes))
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

// rowsPerInsert bounds one multi-row INSERT: 17 parameters a row stays far
// below SQLite's limit on parameters.
const rowsPerInsert = 500

// flush writes the queued memories, their change-log entries and their
// supersedes, in input order.
func (b *batch) flush() error {
	for start := 0; start < len(b.rows); start += rowsPerInsert {
		chunk := b.rows[start:min(start+rowsPerInsert, len(b.rows))]
		args := make([]any, 0, 17*len(chunk))
		for _, r := range chunk {
			c := r.m
			var accessed sql.NullInt64
			if c.LastAccessedAt != nil {
				accessed = sql.NullInt64{Int64: micros(*c.LastAccessedAt), Valid: true}
			}
			args = append(args, c.ID, c.Namespace, c.Content, c.ContentHash, string(c.Category), c.Importance,
				r.tags, r.meta, micros(c.CreatedAt), micros(c.UpdatedAt), accessed, c.AccessCount,
				nullString(c.Supersedes), r.blob, c.EmbeddingModel, c.EmbeddingDim)
		}
		if _, err := b.w.exec(`INSERT INTO memories (id, namespace, content, content_hash, category, importance,
				tags, metadata, created_at, updated_at, last_accessed_at, access_count, supersedes,
				embedding, embedding_model, embedding_dim)
			VALUES `+repeatJoin("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", len(chunk)), args...); err != nil {
			return err
		}
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

// repeatJoin returns n copies of s joined with commas.
func repeatJoin(s string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+", ", n), ", ")
}

// prepare checks m and returns the normalised copy that will be stored,
// with its encoded columns.
func prepare(m *mimo.Memory) (newRow, error) {
	if m == nil {
		return newRow{}, mimo.Errorf(mimo.EINVALID, "memory is missing")
	}
	if strings.TrimSpace(m.ID) == "" {
		return newRow{}, mimo.Errorf(mimo.EINVALID, "memory has no ID")
	}
	c := *m
	c.Namespace = namespace(c.Namespace)
	if c.ContentHash == "" {
		c.ContentHash = contentHash(c.Content)
	}
	if c.Category == "" {
		c.Category = mimo.CategoryFact
	}
	c.Tags = append([]string{}, c.Tags...)
	tags, err := encodeTags(c.Tags)
	if err != nil {
		return newRow{}, err
	}
	meta, err := mimo.CompactMetadata(c.Metadata)
	if err != nil {
		return newRow{}, err
	}
	c.Metadata = []byte(meta)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	c.UpdatedAt = c.UpdatedAt.UTC().Truncate(time.Microsecond)
	if c.LastAccessedAt != nil {
		t := c.LastAccessedAt.UTC().Truncate(time.Microsecond)
		c.LastAccessedAt = &t
	}
	blob, model, dim, err := encodeEmbedding(c.Embedding)
	if err != nil {
		return newRow{}, err
	}
	c.Embedding = mimo.Embedding{Vector: append([]float32(nil), c.Embedding.Vector...), Model: model, Dim: dim}
	if len(c.Embedding.Vector) == 0 {
		c.Embedding.Vector = nil
	}
	c.EmbeddingModel, c.EmbeddingDim = model, dim
	c.SupersededBy = ""
	return newRow{m: &c, tags: tags, meta: meta, blob: blob}, nil
}
