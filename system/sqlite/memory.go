package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"mimo/system"
	"mimo/system/internal/memorykit"
)

// GetMemory returns the memory with its embedding. ENOTFOUND if the
// namespace holds no memory with that ID.
func (s *Store) GetMemory(ctx context.Context, ns, id string) (*mimo.Memory, error) {
	m, err := scanMemory(s.reader.QueryRowContext(ctx,
		`SELECT `+memoryCols+` FROM memories m WHERE m.namespace = ? AND m.id = ?`, memorykit.Namespace(ns), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, memorykit.NotFound(id)
	}
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: get memory")
	}
	return m, nil
}

// maxVars bounds the IDs bound in one statement, well under SQLite's limit
// on host parameters.
const maxVars = 500

// GetMemories returns the memories of ns among ids, with embeddings, in no
// particular order; unknown IDs are skipped.
func (s *Store) GetMemories(ctx context.Context, ns string, ids []string) ([]*mimo.Memory, error) {
	return s.getMemories(ctx, memoryCols, ns, ids)
}

// GetMemoriesNoVector is GetMemories without the embedding vectors, which
// are neither read nor decoded (model and dimension stay).
func (s *Store) GetMemoriesNoVector(ctx context.Context, ns string, ids []string) ([]*mimo.Memory, error) {
	return s.getMemories(ctx, listCols, ns, ids)
}

// getMemories reads the memories of ns among ids with cols, memoryCols or
// listCols.
func (s *Store) getMemories(ctx context.Context, cols, ns string, ids []string) ([]*mimo.Memory, error) {
	out := []*mimo.Memory{}
	for chunk := range chunks(ids, maxVars) {
		n := idClass(len(chunk))
		args := make([]any, 1, 1+n)
		args[0] = memorykit.Namespace(ns)
		for i := range n {
			args = append(args, chunk[min(i, len(chunk)-1)])
		}
		st, err := s.stmts.get(ctx, `SELECT `+cols+` FROM memories m WHERE m.namespace = ? AND m.id IN (`+placeholders(n)+`)`)
		if err != nil {
			return nil, dbErr(ctx, err, "sqlite: get memories")
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, dbErr(ctx, err, "sqlite: get memories")
		}
		ms, err := scanMemories(rows)
		if err != nil {
			return nil, dbErr(ctx, err, "sqlite: get memories")
		}
		out = append(out, ms...)
	}
	return out, nil
}

// TouchMemories counts one access of each memory of ns among ids at time
// at. Unknown IDs are skipped. Touches are not logged as changes: they do
// not change what a memory says.
//
// The counts live in memory_access, keyed by the memory's seq, so a touch
// writes a row of three integers (an upsert: a memory's first access adds
// its row) instead of rewriting the memory's row with its embedding. The
// memories are found through the (namespace, id) index alone.
func (s *Store) TouchMemories(ctx context.Context, ns string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, "sqlite: touch memories", func(w *wtx) error {
		for chunk := range chunks(ids, maxVars) {
			args := append([]any{micros(at), memorykit.Namespace(ns)}, anys(chunk)...)
			if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO memory_access (seq, access_count, last_accessed_at)
				SELECT seq, 1, ? FROM memories WHERE namespace = ? AND id IN (`+placeholders(len(chunk))+`)
				ON CONFLICT (seq) DO UPDATE SET access_count = access_count + 1,
					last_accessed_at = excluded.last_accessed_at`, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateMemory applies u to the memory, as memorykit.ApplyUpdate says,
// and returns its new state. A changed Content gets a new ContentHash; a
// zero u.UpdatedAt means now. Errors: ENOTFOUND, ECONFLICT (another memory
// of ns has the new content), EINVALID (see memorykit.PrepareUpdate),
// EUNAVAILABLE.
func (s *Store) UpdateMemory(ctx context.Context, ns, id string, u mimo.MemoryUpdate) (*mimo.Memory, error) {
	ns = memorykit.Namespace(ns)
	u, err := memorykit.PrepareUpdate(u)
	if err != nil {
		return nil, err
	}
	var out *mimo.Memory
	err = s.write(ctx, "sqlite: update memory", func(w *wtx) error {
		var seq int64
		r := memRow{}
		err := w.queryRow(`SELECT m.seq, `+memoryCols+` FROM memories m WHERE m.namespace = ? AND m.id = ?`, ns, id).
			Scan(append([]any{&seq}, r.dest()...)...)
		if errors.Is(err, sql.ErrNoRows) {
			return memorykit.NotFound(id)
		}
		if err != nil {
			return err
		}
		m, err := r.memory()
		if err != nil {
			return err
		}
		if memorykit.ApplyUpdate(m, u) {
			var other string
			err := w.queryRow(`SELECT id FROM memories WHERE namespace = ? AND content_hash = ? AND id <> ?`,
				ns, m.ContentHash, id).Scan(&other)
			if err == nil {
				return memorykit.ContentTaken(nil)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		tags, err := encodeTags(m.Tags)
		if err != nil {
			return err
		}
		_, err = w.exec(`UPDATE memories SET content = ?, content_hash = ?, category = ?, importance = ?, tags = ?,
				metadata = ?, updated_at = ?, embedding = ?, embedding_model = ?, embedding_dim = ?
			WHERE seq = ?`,
			m.Content, m.ContentHash, string(m.Category), m.Importance, tags, string(m.Metadata), micros(m.UpdatedAt),
			vectorBlob(m.Embedding), m.EmbeddingModel, m.EmbeddingDim, seq)
		if err != nil {
			if isUnique(err) {
				return memorykit.ContentTaken(nil)
			}
			return err
		}
		if err := logChange(w, mimo.OpUpsert, id, ns); err != nil {
			return err
		}
		out, err = scanMemory(w.queryRow(`SELECT `+memoryCols+` FROM memories m WHERE m.seq = ?`, seq))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteMemory removes the memory, its full-text entry and its access
// counts (memory_access's foreign key cascades), and makes a memory it
// superseded current again. ENOTFOUND if ns holds no such memory.
func (s *Store) DeleteMemory(ctx context.Context, ns, id string) error {
	ns = memorykit.Namespace(ns)
	return s.write(ctx, "sqlite: delete memory", func(w *wtx) error {
		res, err := w.exec(`DELETE FROM memories WHERE namespace = ? AND id = ?`, ns, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return memorykit.NotFound(id)
		}
		if err := logChange(w, mimo.OpDelete, id, ns); err != nil {
			return err
		}
		rows, err := w.query(`UPDATE memories SET superseded_by = NULL WHERE namespace = ? AND superseded_by = ? RETURNING id`, ns, id)
		if err != nil {
			return err
		}
		var restored []string
		for rows.Next() {
			var rid string
			if err := rows.Scan(&rid); err != nil {
				rows.Close()
				return err
			}
			restored = append(restored, rid)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, rid := range restored {
			if err := logChange(w, mimo.OpUpsert, rid, ns); err != nil {
				return err
			}
		}
		return nil
	})
}
