package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
)

// GetMemory returns one memory of namespace with its embedding; ENOTFOUND
// when namespace holds no memory with that ID.
func (s *Store) GetMemory(ctx context.Context, namespace, id string) (*mimo.Memory, error) {
	var m *mimo.Memory
	err := s.read(ctx, "get memory", func(ctx context.Context) error {
		var err error
		m, err = scanMemory(s.pool.QueryRow(ctx, `SELECT `+memoryColumns+` FROM memories m
			WHERE m.namespace = $1 AND m.id = $2`, namespaceOf(namespace), id))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound(id)
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
	if len(ids) == 0 {
		return []*mimo.Memory{}, nil
	}
	var out []*mimo.Memory
	err := s.read(ctx, "get memories", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT `+memoryColumns+` FROM memories m
			WHERE m.namespace = $1 AND m.id = ANY($2)`, namespaceOf(namespace), ids)
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
func (s *Store) TouchMemories(ctx context.Context, namespace string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return s.read(ctx, "touch memories", func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `UPDATE memories SET access_count = access_count + 1, last_accessed_at = $3
			WHERE namespace = $1 AND id = ANY($2)`, namespaceOf(namespace), ids, dbTime(at))
		return err
	})
}

// UpdateMemory applies u to one memory of namespace and returns the result.
// Changing Content recomputes ContentHash; content another memory of the
// namespace holds is ECONFLICT. A zero u.UpdatedAt means now. Metadata that
// is not a JSON object is EINVALID; a missing memory is ENOTFOUND.
func (s *Store) UpdateMemory(ctx context.Context, namespace, id string, u mimo.MemoryUpdate) (*mimo.Memory, error) {
	namespace = namespaceOf(namespace)
	var meta *string
	if u.Metadata != nil {
		m, err := mimo.CompactMetadata(*u.Metadata)
		if err != nil {
			return nil, err
		}
		meta = &m
	}
	if err := validUpdate(u, meta); err != nil {
		return nil, err
	}
	if u.Embedding != nil {
		e, err := checkEmbedding(*u.Embedding)
		if err != nil {
			return nil, err
		}
		u.Embedding = &e
	}
	updated := dbTime(u.UpdatedAt)
	if u.UpdatedAt.IsZero() {
		updated = dbTime(time.Now())
	}
	var out *mimo.Memory
	err := s.inTx(ctx, "update memory", func(ctx context.Context, tx pgx.Tx) error {
		cur, err := scanMemory(tx.QueryRow(ctx, `SELECT `+memoryColumns+` FROM memories m
			WHERE m.namespace = $1 AND m.id = $2 FOR UPDATE`, namespace, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		apply(cur, u)
		curMeta := string(cur.Metadata)
		if meta != nil {
			curMeta = *meta
		}
		out, err = scanMemory(tx.QueryRow(ctx, `UPDATE memories AS m SET content = $3, content_hash = $4,
				category = $5, importance = $6, tags = $7, metadata = $8::jsonb, updated_at = $9,
				embedding = $10, embedding_model = $11, embedding_dim = $12
			WHERE m.namespace = $1 AND m.id = $2
			RETURNING `+memoryColumns,
			namespace, id, cur.Content, cur.ContentHash, string(cur.Category), cur.Importance,
			cur.Tags, curMeta, updated, vectorBytes(cur.Embedding), cur.Embedding.Model, cur.Embedding.Dim))
		if err != nil {
			if classify(err) == mimo.ECONFLICT {
				return mimo.Wrap(mimo.ECONFLICT, err, "another memory of the namespace already holds this content")
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

// validUpdate rejects what Postgres text could not hold.
func validUpdate(u mimo.MemoryUpdate, meta *string) error {
	var texts []string
	if u.Content != nil {
		texts = append(texts, *u.Content)
	}
	if u.Category != nil {
		texts = append(texts, string(*u.Category))
	}
	if meta != nil {
		texts = append(texts, *meta)
	}
	if u.Embedding != nil {
		texts = append(texts, u.Embedding.Model)
	}
	if err := checkText("memory fields", texts...); err != nil {
		return err
	}
	if u.Tags != nil {
		return checkText("tags", *u.Tags...)
	}
	return nil
}

// apply sets the fields u names on m (metadata is handled by the caller).
func apply(m *mimo.Memory, u mimo.MemoryUpdate) {
	if u.Content != nil {
		m.Content = *u.Content
		m.ContentHash = hashContent(m.Content)
	}
	if u.Category != nil {
		m.Category = *u.Category
	}
	if u.Importance != nil {
		m.Importance = *u.Importance
	}
	if u.Tags != nil {
		m.Tags = append([]string{}, *u.Tags...)
	}
	if u.Embedding != nil {
		m.Embedding = *u.Embedding
		m.EmbeddingModel, m.EmbeddingDim = m.Embedding.Model, m.Embedding.Dim
	}
}

// DeleteMemory removes one memory of namespace, with its full-text entry.
// A memory it superseded becomes current again. ENOTFOUND when missing.
func (s *Store) DeleteMemory(ctx context.Context, namespace, id string) error {
	namespace = namespaceOf(namespace)
	return s.inTx(ctx, "delete memory", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM memories WHERE namespace = $1 AND id = $2`, namespace, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound(id)
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
			namespaceOf(namespace)).Scan(&n)
	})
	return n, err
}

func notFound(id string) error {
	return mimo.Errorf(mimo.ENOTFOUND, "memory %s not found", id)
}
