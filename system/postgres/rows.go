package postgres

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
)

// memoryColumns selects a memory in the order scanMemory reads it. The
// vector variant carries the embedding; the other leaves it out, as lists
// do, so they do not move kilobytes per row they will not use.
const (
	memoryColumnsNoVector = `m.id, m.namespace, m.content, m.content_hash, m.category, m.importance,
	m.tags, m.metadata, m.created_at, m.updated_at, m.last_accessed_at, m.access_count,
	coalesce(m.supersedes, '') AS supersedes, coalesce(m.superseded_by, '') AS superseded_by,
	NULL::bytea AS embedding, m.embedding_model, m.embedding_dim`
	memoryColumns = `m.id, m.namespace, m.content, m.content_hash, m.category, m.importance,
	m.tags, m.metadata, m.created_at, m.updated_at, m.last_accessed_at, m.access_count,
	coalesce(m.supersedes, '') AS supersedes, coalesce(m.superseded_by, '') AS superseded_by,
	m.embedding, m.embedding_model, m.embedding_dim`
)

// scanMemory reads one row selected with memoryColumns or
// memoryColumnsNoVector.
func scanMemory(row pgx.Row) (*mimo.Memory, error) {
	var (
		m        mimo.Memory
		category string
		meta     []byte
		last     *time.Time
		vec      []byte
	)
	err := row.Scan(&m.ID, &m.Namespace, &m.Content, &m.ContentHash, &category, &m.Importance,
		&m.Tags, &meta, &m.CreatedAt, &m.UpdatedAt, &last, &m.AccessCount,
		&m.Supersedes, &m.SupersededBy, &vec, &m.EmbeddingModel, &m.EmbeddingDim)
	if err != nil {
		return nil, err
	}
	m.Category = mimo.Category(category)
	if m.Tags == nil {
		m.Tags = []string{}
	}
	// jsonb re-encodes with spaces after separators; compact it so both
	// stores hand out the same bytes for the same object.
	var buf bytes.Buffer
	if err := json.Compact(&buf, meta); err != nil {
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "postgres: corrupt metadata in memory "+m.ID)
	}
	m.Metadata = json.RawMessage(buf.Bytes())
	m.CreatedAt = m.CreatedAt.UTC()
	m.UpdatedAt = m.UpdatedAt.UTC()
	if last != nil {
		l := last.UTC()
		m.LastAccessedAt = &l
	}
	m.Embedding = mimo.Embedding{Model: m.EmbeddingModel, Dim: m.EmbeddingDim}
	if len(vec) > 0 {
		v, err := mimo.DecodeVector(vec)
		if err != nil {
			return nil, mimo.Wrap(mimo.EINTERNAL, err, "postgres: corrupt embedding in memory "+m.ID)
		}
		m.Embedding.Vector = v
	}
	return &m, nil
}

// collectMemories reads every row of rows with scanMemory.
func collectMemories(rows pgx.Rows) ([]*mimo.Memory, error) {
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

// namespaceOf applies the rule that "" means the default namespace.
func namespaceOf(ns string) string {
	if ns == "" {
		return mimo.DefaultNamespace
	}
	return ns
}

// hashContent is the ContentHash of content: hex SHA-256.
func hashContent(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// dbTime is t as the database keeps it: UTC, whole microseconds.
func dbTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// checkEmbedding returns e as stored: Dim is the vector's length when there
// is a vector, and a vector whose length is not a non-zero Dim is EINVALID.
func checkEmbedding(e mimo.Embedding) (mimo.Embedding, error) {
	if len(e.Vector) == 0 {
		return mimo.Embedding{Model: e.Model, Dim: e.Dim}, nil
	}
	if e.Dim != 0 && e.Dim != len(e.Vector) {
		return mimo.Embedding{}, mimo.Errorf(mimo.EINVALID, "embedding has %d values but dimension %d", len(e.Vector), e.Dim)
	}
	return mimo.Embedding{Vector: append([]float32(nil), e.Vector...), Model: e.Model, Dim: len(e.Vector)}, nil
}

// checkText rejects strings Postgres text cannot hold: a NUL byte or
// invalid UTF-8 would fail the statement, and inside a batch that would
// abort every other item too.
func checkText(what string, values ...string) error {
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 {
			return mimo.Errorf(mimo.EINVALID, "%s must not contain NUL bytes", what)
		}
		if !utf8.ValidString(v) {
			return mimo.Errorf(mimo.EINVALID, "%s must be valid UTF-8", what)
		}
	}
	return nil
}

// prepare validates m for insertion and returns the copy to store and its
// metadata: namespace "" is the default one, category "" is fact, a
// missing ContentHash is computed, zero timestamps are now (UpdatedAt
// defaults to CreatedAt), timestamps are cut to microseconds in UTC, tags
// are never nil and SupersededBy is cleared (only a later supersede sets
// it). It returns EINVALID for a nil memory, an empty ID, metadata that is
// not a JSON object, an embedding whose length is not its Dim, or text
// Postgres cannot hold.
func prepare(m *mimo.Memory) (*mimo.Memory, string, error) {
	if m == nil {
		return nil, "", mimo.Errorf(mimo.EINVALID, "memory is missing")
	}
	if strings.TrimSpace(m.ID) == "" {
		return nil, "", mimo.Errorf(mimo.EINVALID, "memory has no ID")
	}
	meta, err := mimo.CompactMetadata(m.Metadata)
	if err != nil {
		return nil, "", err
	}
	c := *m
	c.Metadata = json.RawMessage(meta)
	c.Namespace = namespaceOf(c.Namespace)
	if c.ContentHash == "" {
		c.ContentHash = hashContent(c.Content)
	}
	if c.Category == "" {
		c.Category = mimo.CategoryFact
	}
	c.Tags = append([]string{}, c.Tags...)
	if err := checkText("memory fields", c.ID, c.Namespace, c.Content, c.ContentHash, string(c.Category),
		c.Supersedes, c.Embedding.Model, meta); err != nil {
		return nil, "", err
	}
	if err := checkText("tags", c.Tags...); err != nil {
		return nil, "", err
	}
	if c.Embedding, err = checkEmbedding(c.Embedding); err != nil {
		return nil, "", err
	}
	c.EmbeddingModel, c.EmbeddingDim = c.Embedding.Model, c.Embedding.Dim
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.CreatedAt, c.UpdatedAt = dbTime(c.CreatedAt), dbTime(c.UpdatedAt)
	if c.LastAccessedAt != nil {
		l := dbTime(*c.LastAccessedAt)
		c.LastAccessedAt = &l
	}
	c.SupersededBy = ""
	return &c, meta, nil
}

// vectorBytes is the stored form of an embedding vector: NULL for none.
func vectorBytes(e mimo.Embedding) []byte {
	if len(e.Vector) == 0 {
		return nil
	}
	return mimo.EncodeVector(e.Vector)
}
