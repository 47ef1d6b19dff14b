package sqlite

import (
	"database/sql"
	"encoding/json"
	"time"

	"mimo/system"
	"mimo/system/internal/memorykit"
)

// memoryCols are the columns a memory is read from, in the order memRow
// scans them; listCols is the same without the embedding vector, which
// lists never carry. The access count and time come from memory_access
// (accessCols).
const (
	memoryCols = `m.id, m.namespace, m.content, m.content_hash, m.category, m.importance, m.tags, m.metadata,
		m.created_at, m.updated_at, ` + accessCols + `, m.supersedes, m.superseded_by,
		m.embedding, m.embedding_model, m.embedding_dim`
	listCols = `m.id, m.namespace, m.content, m.content_hash, m.category, m.importance, m.tags, m.metadata,
		m.created_at, m.updated_at, ` + accessCols + `, m.supersedes, m.superseded_by,
		NULL, m.embedding_model, m.embedding_dim`
)

// accessCols reads the last access time and the access count of memory m
// from memory_access, by its seq. A memory with no row there was never
// accessed: NULL and 0. Two lookups of one row by its integer key cost
// about a microsecond each; a join instead would have to be written into
// every query's FROM clause, the change log's outer join among them.
const accessCols = `(SELECT a.last_accessed_at FROM memory_access a WHERE a.seq = m.seq),
		coalesce((SELECT a.access_count FROM memory_access a WHERE a.seq = m.seq), 0)`

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
		ID:             r.id.String,
		Namespace:      r.namespace.String,
		Content:        r.content.String,
		ContentHash:    r.hash.String,
		Category:       mimo.Category(r.category.String),
		Importance:     r.importance.Float64,
		Metadata:       json.RawMessage(r.metadata.String),
		CreatedAt:      fromMicros(r.created.Int64),
		UpdatedAt:      fromMicros(r.updated.Int64),
		AccessCount:    r.count.Int64,
		Supersedes:     r.supersedes.String,
		SupersededBy:   r.supersededBy.String,
		EmbeddingModel: r.model.String,
		EmbeddingDim:   int(r.dim.Int64),
	}
	if r.tags.Valid && r.tags.String != "" {
		if err := json.Unmarshal([]byte(r.tags.String), &m.Tags); err != nil {
			return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: corrupt tags of memory "+m.ID)
		}
	}
	if r.accessed.Valid {
		t := fromMicros(r.accessed.Int64)
		m.LastAccessedAt = &t
	}
	if err := memorykit.Loaded(m, r.embedding); err != nil {
		return nil, err
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
	return memorykit.Collect(rows, func() (*mimo.Memory, error) { return scanMemory(rows) })
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

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

// vectorBlob is the stored form of an embedding vector: NULL for none.
func vectorBlob(e mimo.Embedding) []byte {
	if len(e.Vector) == 0 {
		return nil
	}
	return mimo.EncodeVector(e.Vector)
}
