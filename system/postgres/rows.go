package postgres

import (
	"bytes"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// memoryColumns selects a memory in the order scanMemory reads it. The
// vector variant carries the embedding; the other leaves it out, as lists
// do, so they do not move kilobytes per row they will not use. Both read
// the access count and time from memory_access (accessColumns).
const (
	memoryColumnsNoVector = memoryColumnsHead + accessColumns + memoryColumnsTail +
		`NULL::bytea AS embedding, m.embedding_model, m.embedding_dim`
	memoryColumns = memoryColumnsHead + accessColumns + memoryColumnsTail +
		`m.embedding, m.embedding_model, m.embedding_dim`

	// memoryColumnsBeforeAccess reads a memory at a schema older than
	// accessSchemaVersion, whose memories table still held the access
	// count and time: a backup taken before migrating up (mimo migrate
	// up backs up first) reads them there.
	memoryColumnsBeforeAccess = memoryColumnsHead + `m.last_accessed_at, m.access_count` + memoryColumnsTail +
		`m.embedding, m.embedding_model, m.embedding_dim`

	// The columns before and after the access count and time, for a
	// statement that has those at hand (createMemory).
	memoryColumnsHead = `m.id, m.namespace, m.content, m.content_hash, m.category, m.importance,
	m.tags, m.metadata, m.created_at, m.updated_at, `
	memoryColumnsTail = `,
	coalesce(m.supersedes, '') AS supersedes, coalesce(m.superseded_by, '') AS superseded_by, `
)

// accessSchemaVersion is the migration that moved the access count and
// time from memories to memory_access.
const accessSchemaVersion = 5

// accessColumns reads the last access time and the access count of memory
// m from memory_access, by its ID. A memory with no row there was never
// accessed: NULL and 0. Each is one primary-key lookup in a narrow table; a
// join instead would have to be written into every statement's FROM
// clause, and an UPDATE's RETURNING has none.
const accessColumns = `(SELECT a.last_accessed_at FROM memory_access a WHERE a.memory_id = m.id) AS last_accessed_at,
	coalesce((SELECT a.access_count FROM memory_access a WHERE a.memory_id = m.id), 0) AS access_count`

// scanMemory reads one row selected with memoryColumns or
// memoryColumnsNoVector.
func scanMemory(row pgx.Row) (*mimo.Memory, error) {
	var (
		m        mimo.Memory
		category string
		meta     []byte
		vec      []byte
	)
	err := row.Scan(&m.ID, &m.Namespace, &m.Content, &m.ContentHash, &category, &m.Importance,
		&m.Tags, &meta, &m.CreatedAt, &m.UpdatedAt, &m.LastAccessedAt, &m.AccessCount,
		&m.Supersedes, &m.SupersededBy, &vec, &m.EmbeddingModel, &m.EmbeddingDim)
	if err != nil {
		return nil, err
	}
	m.Category = mimo.Category(category)
	// jsonb re-encodes with spaces after separators; compact it so both
	// stores hand out the same bytes for the same object.
	var buf bytes.Buffer
	if err := json.Compact(&buf, meta); err != nil {
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "postgres: corrupt metadata in memory "+m.ID)
	}
	m.Metadata = json.RawMessage(buf.Bytes())
	if err := memorykit.Loaded(&m, vec); err != nil {
		return nil, err
	}
	return &m, nil
}

// collectMemories reads every row of rows with scanMemory.
func collectMemories(rows pgx.Rows) ([]*mimo.Memory, error) {
	defer rows.Close()
	return memorykit.Collect(rows, func() (*mimo.Memory, error) { return scanMemory(rows) })
}

// prepare validates m for insertion and returns the copy to store (see
// memorykit.Prepare) and its metadata.
func prepare(m *mimo.Memory) (*mimo.Memory, string, error) {
	c, err := memorykit.Prepare(m)
	if err != nil {
		return nil, "", err
	}
	return c, string(c.Metadata), nil
}

// vectorBytes is the stored form of an embedding vector: NULL for none.
func vectorBytes(e mimo.Embedding) []byte {
	if len(e.Vector) == 0 {
		return nil
	}
	return mimo.EncodeVector(e.Vector)
}
