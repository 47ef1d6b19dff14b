package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// GetMemory returns one memory of namespace with its embedding; ENOTFOUND
// when namespace holds no memory with that ID.
func (s *Store) GetMemory(ctx context.Context, namespace, id string) (*mimo.Memory, error) {
	var m *mimo.Memory
	err := s.read(ctx, "get memory", func(ctx context.Context) error {
		var err error
		m, err = scanMemory(s.pool.QueryRow(ctx, `SELECT `+memoryColumns+` FROM memories m
			WHERE m.namespace = $1 AND m.id = $2`, memorykit.Namespace(namespace), id))
		if errors.Is(err, pgx.ErrNoRows) {
			return memorykit.NotFound(id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// GetMemories returns the memories of namespace with the given IDs, with
// their embeddings, in no particular order; missing IDs are left out.
func (s *Store) GetMemories(ctx context.Context, namespace string, ids []string) ([]*mimo.Memory, error) {
	return s.getMemories(ctx, memoryColumns, namespace, ids)
}

// GetMemoriesNoVector is GetMemories without the embedding vectors, which
// are neither sent by the server nor decoded (model and dimension stay).
func (s *Store) GetMemoriesNoVector(ctx context.Context, namespace string, ids []string) ([]*mimo.Memory, error) {
	return s.getMemories(ctx, memoryColumnsNoVector, namespace, ids)
}

// getMemories reads the memories of namespace among ids with columns,
// memoryColumns or memoryColumnsNoVector.
func (s *Store) getMemories(ctx context.Context, columns, namespace string, ids []string) ([]*mimo.Memory, error) {
	if len(ids) == 0 {
		return []*mimo.Memory{}, nil
	}
	var out []*mimo.Memory
	err := s.read(ctx, "get memories", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM memories m
			WHERE m.namespace = $1 AND m.id = ANY($2)`, memorykit.Namespace(namespace), ids)
		if err != nil {
			return err
		}
		out, err = collectMemories(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TouchMemories adds one to the access count of each listed memory of
// namespace and sets its last access time to at. Missing IDs are ignored.
// UpdatedAt is left alone and no change is logged: access counts are not
// what followers of the change log index.
//
// The counts live in memory_access, so a touch is an upsert of a narrow
// row (a memory's first access adds it) that no index covers but its key:
// a heap-only update, where updating the wide memories row wrote a new
// version of it and entries in every index. Rows are upserted in ID order,
// so touches of overlapping memories from several replicas lock them in
// the same order and cannot deadlock.
func (s *Store) TouchMemories(ctx context.Context, namespace string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return s.read(ctx, "touch memories", func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO memory_access AS a (memory_id, access_count, last_accessed_at)
			SELECT id, 1, $3 FROM memories WHERE namespace = $1 AND id = ANY($2) ORDER BY id
			ON CONFLICT (memory_id) DO UPDATE SET access_count = a.access_count + 1,
				last_accessed_at = excluded.last_accessed_at`,
			memorykit.Namespace(namespace), ids, memorykit.Time(at))
		return err
	})
}

// UpdateMemory applies u to one memory of namespace, as
// memorykit.ApplyUpdate says, and returns the result. Changing Content
// recomputes ContentHash; content another memory of the namespace holds is
// ECONFLICT. A zero u.UpdatedAt means now. A bad update is EINVALID (see
// memorykit.PrepareUpdate); a missing memory is ENOTFOUND.
func (s *Store) UpdateMemory(ctx context.Context, namespace, id string, u mimo.MemoryUpdate) (*mimo.Memory, error) {
	namespace = memorykit.Namespace(namespace)
	u, err := memorykit.PrepareUpdate(u)
	if err != nil {
		return nil, err
	}
	var out *mimo.Memory
	err = s.inTx(ctx, "update memory", func(ctx context.Context, tx pgx.Tx) error {
		cur, err := scanMemory(tx.QueryRow(ctx, `SELECT `+memoryColumns+` FROM memories m
			WHERE m.namespace = $1 AND m.id = $2 FOR UPDATE`, namespace, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return memorykit.NotFound(id)
		}
		if err != nil {
			return err
		}
		// A content another memory holds is found by the unique index.
		memorykit.ApplyUpdate(cur, u)
		out, err = scanMemory(tx.QueryRow(ctx, `UPDATE memories AS m SET content = $3, content_hash = $4,
				category = $5, importance = $6, tags = $7, metadata = $8::jsonb, updated_at = $9,
				embedding = $10, embedding_model = $11, embedding_dim = $12
			WHERE m.namespace = $1 AND m.id = $2
			RETURNING `+memoryColumns,
			namespace, id, cur.Content, cur.ContentHash, string(cur.Category), cur.Importance,
			cur.Tags, string(cur.Metadata), cur.UpdatedAt, vectorBytes(cur.Embedding), cur.Embedding.Model, cur.Embedding.Dim))
		if err != nil {
			if classify(err) == mimo.ECONFLICT {
				return memorykit.ContentTaken(err)
			}
			return err
		}
		var log changeLog
		log.upsert(namespace, id)
		return log.write(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteMemory removes one memory of namespace, with its full-text entry
// and its access counts (memory_access's foreign key cascades).
// A memory it superseded becomes current again. ENOTFOUND when missing.
func (s *Store) DeleteMemory(ctx context.Context, namespace, id string) error {
	namespace = memorykit.Namespace(namespace)
	return s.inTx(ctx, "delete memory", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM memories WHERE namespace = $1 AND id = $2`, namespace, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return memorykit.NotFound(id)
		}
		var log changeLog
		log.delete(namespace, id)
		rows, err := tx.Query(ctx, `UPDATE memories SET superseded_by = NULL
			WHERE namespace = $1 AND superseded_by = $2 RETURNING id`, namespace, id)
		if err != nil {
			return err
		}
		restored, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, r := range restored {
			log.upsert(namespace, r)
		}
		return log.write(ctx, tx)
	})
}

// CountMemories counts the memories of namespace, superseded ones included,
// or of every namespace when namespace is "*".
func (s *Store) CountMemories(ctx context.Context, namespace string) (int64, error) {
	var n int64
	err := s.read(ctx, "count memories", func(ctx context.Context) error {
		if namespace == "*" {
			return s.pool.QueryRow(ctx, `SELECT count(*) FROM memories`).Scan(&n)
		}
		return s.pool.QueryRow(ctx, `SELECT count(*) FROM memories WHERE namespace = $1`,
			memorykit.Namespace(namespace)).Scan(&n)
	})
	return n, err
}
