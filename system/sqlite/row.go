package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"mimo/system"
)

// memoryCols are the columns a memory is read from, in the order memRow
// scans them; listCols is the same without the embedding vector, which
// lists never carry.
const (
	memoryCols = `m.id, m.namespace, m.content, m.content_hash, m.category, m.importance, m.tags, m.metadata,
		m.created_at, m.updated_at, m.last_accessed_at, m.access_count, m.supersedes, m.superseded_by,
		m.embedding, m.embedding_model, m.embedding_dim`
	listCols = `m.id, m.namespace, m.content, m.content_hash, m.category, m.importance, m.tags, m.metadata,
		m.created_at, m.updated_at, m.last_accessed_at, m.access_count, m.supersedes, m.superseded_by,
		NULL, m.embedding_model, m.embedding_dim`
)

// memRow receives one row of memoryCols. Every field is nullable so the
// same row can come from an outer join (the change log) where the memory is
// gone.
type memRow struct {
	id, namespace, content, hash, category sql.NullString
	importance                             sql.NullFloat64
	tags, metadata                         sql.NullString
	created, updated, accessed, count      sql.NullInt64
	supersedes, supersededBy               sql.NullString
	embedding                              []byte
	model                                  sql.NullString
	dim                                    sql.NullInt64
}

func (r *memRow) dest() []any {
	return []any{&r.id, &r.namespace, &r.content, &r.hash, &r.category, &r.importance, &r.tags, &r.metadata,
		&r.created, &r.updated, &r.accessed, &r.count, &r.supersedes, &r.supersededBy,
		&r.embedding, &r.model, &r.dim}
}

// memory builds the scanned memory, or nil when the row had none.
func (r *memRow) memory() (*mimo.Memory, error) {
	if !r.id.Valid {
		return nil, nil
	}
	m := &mimo.Memory{
		ID:           r.id.String,
		Namespace:    r.namespace.String,
		Content:      r.content.String,
		ContentHash:  r.hash.String,
		Category:     mimo.Category(r.category.String),
		Importance:   r.importance.Float64,
		Tags:         []string{},
		Metadata:     json.RawMessage(r.metadata.String),
		CreatedAt:    fromMicros(r.created.Int64),
		UpdatedAt:    fromMicros(r.updated.Int64),
		AccessCount:  r.count.Int64,
		Supersedes:   r.supersedes.String,
		SupersededBy: r.supersededBy.String,
	}
	if r.tags.Valid && r.tags.String != "" {
		if err := json.Unmarshal([]byte(r.tags.String), &m.Tags); err != nil {
			return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: corrupt tags of memory "+m.ID)
		}
		if m.Tags == nil {
			m.Tags = []string{}
		}
	}
	if len(m.Metadata) == 0 {
		m.Metadata = json.RawMessage(`{}`)
	}
	if r.accessed.Valid {
		t := fromMicros(r.accessed.Int64)
		m.LastAccessedAt = &t
	}
	m.Embedding.Model, m.Embedding.Dim = r.model.String, int(r.dim.Int64)
	m.EmbeddingModel, m.EmbeddingDim = m.Embedding.Model, m.Embedding.Dim
	if r.embedding != nil {
		v, err := mimo.DecodeVector(r.embedding)
		if err != nil {
			return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: corrupt embedding of memory "+m.ID)
		}
		m.Embedding.Vector = v
	}
	return m, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanMemory scans one row of memoryCols (or listCols).
func scanMemory(sc scanner) (*mimo.Memory, error) {
	var r memRow
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.memory()
}

// scanMemories reads every row of rows and closes it.
func scanMemories(rows *sql.Rows) ([]*mimo.Memory, error) {
	defer rows.Close()
	out := []*mimo.Memory{}
	for rows.Next() {
		m, err := scanMemory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// contentHash is the hex SHA-256 of content, as the service computes it.
func contentHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// encodeTags returns tags as a JSON array, [] for none.
func encodeTags(tags []string) (string, error) {
	if tags == nil {
		tags = []string{}
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "", mimo.Wrap(mimo.EINVALID, err, "tags cannot be encoded")
	}
	return string(b), nil
}

// encodeEmbedding returns the columns of e: a NULL blob for no vector.
// A vector whose length is not e.Dim is EINVALID.
func encodeEmbedding(e mimo.Embedding) (blob []byte, model string, dim int, err error) {
	if len(e.Vector) == 0 {
		return nil, e.Model, e.Dim, nil
	}
	if e.Dim != 0 && e.Dim != len(e.Vector) {
		return nil, "", 0, mimo.Errorf(mimo.EINVALID, "embedding has %d values but dimension %d", len(e.Vector), e.Dim)
	}
	return mimo.EncodeVector(e.Vector), e.Model, len(e.Vector), nil
}
