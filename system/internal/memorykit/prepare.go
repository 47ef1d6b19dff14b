package memorykit

import (
	"encoding/json"
	"strings"
	"time"

	"mimo/system"
)

// Prepare checks m for mimo.Store.CreateMemory and returns the copy a store
// writes: namespace "" is the default one, category "" is fact, a missing
// ContentHash is computed, tags are a non-nil copy, metadata is compacted
// ({} when none), zero timestamps are now (UpdatedAt defaults to
// CreatedAt) and every timestamp is cut to what stores keep (Time), the
// embedding is checked (CheckEmbedding) and mirrored in EmbeddingModel and
// EmbeddingDim, and SupersededBy is cleared (only a later supersede sets
// it). m is not changed. Errors, all EINVALID: a nil memory, an empty ID,
// metadata that is not a JSON object, an embedding whose length is not its
// Dim, text CheckText rejects.
func Prepare(m *mimo.Memory) (*mimo.Memory, error) {
	if m == nil {
		return nil, mimo.Errorf(mimo.EINVALID, "memory is missing")
	}
	if strings.TrimSpace(m.ID) == "" {
		return nil, mimo.Errorf(mimo.EINVALID, "memory has no ID")
	}
	meta, err := mimo.CompactMetadata(m.Metadata)
	if err != nil {
		return nil, err
	}
	c := *m
	c.Metadata = json.RawMessage(meta)
	c.Namespace = Namespace(c.Namespace)
	if c.ContentHash == "" {
		c.ContentHash = ContentHash(c.Content)
	}
	if c.Category == "" {
		c.Category = mimo.CategoryFact
	}
	c.Tags = append([]string{}, c.Tags...)
	if err := CheckText("memory fields", c.ID, c.Namespace, c.Content, c.ContentHash, string(c.Category),
		c.Supersedes, c.Embedding.Model, meta); err != nil {
		return nil, err
	}
	if err := CheckText("tags", c.Tags...); err != nil {
		return nil, err
	}
	if c.Embedding, err = CheckEmbedding(c.Embedding); err != nil {
		return nil, err
	}
	c.EmbeddingModel, c.EmbeddingDim = c.Embedding.Model, c.Embedding.Dim
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.CreatedAt, c.UpdatedAt = Time(c.CreatedAt), Time(c.UpdatedAt)
	if c.LastAccessedAt != nil {
		l := Time(*c.LastAccessedAt)
		c.LastAccessedAt = &l
	}
	c.SupersededBy = ""
	return &c, nil
}

// CheckEmbedding returns e as stored: with a vector, Dim is its length and
// the vector is a copy; without one, Vector is nil and Model and Dim are
// kept. A vector whose length is not a non-zero Dim is EINVALID.
func CheckEmbedding(e mimo.Embedding) (mimo.Embedding, error) {
	if len(e.Vector) == 0 {
		return mimo.Embedding{Model: e.Model, Dim: e.Dim}, nil
	}
	if e.Dim != 0 && e.Dim != len(e.Vector) {
		return mimo.Embedding{}, mimo.Errorf(mimo.EINVALID, "embedding has %d values but dimension %d", len(e.Vector), e.Dim)
	}
	return mimo.Embedding{Vector: append([]float32(nil), e.Vector...), Model: e.Model, Dim: len(e.Vector)}, nil
}

// PrepareUpdate checks u for mimo.Store.UpdateMemory and returns it as
// ApplyUpdate applies it: metadata compacted, tags and embedding checked
// and copied, UpdatedAt now when zero and cut to what stores keep. Stores
// call it before they read the memory, so a bad update is EINVALID whether
// or not the memory exists. Errors, all EINVALID: metadata that is not a
// JSON object, an embedding whose length is not its Dim, text CheckText
// rejects.
func PrepareUpdate(u mimo.MemoryUpdate) (mimo.MemoryUpdate, error) {
	var texts []string
	if u.Content != nil {
		texts = append(texts, *u.Content)
	}
	if u.Category != nil {
		texts = append(texts, string(*u.Category))
	}
	if u.Metadata != nil {
		meta, err := mimo.CompactMetadata(*u.Metadata)
		if err != nil {
			return u, err
		}
		raw := json.RawMessage(meta)
		u.Metadata = &raw
		texts = append(texts, meta)
	}
	if u.Embedding != nil {
		texts = append(texts, u.Embedding.Model)
		e, err := CheckEmbedding(*u.Embedding)
		if err != nil {
			return u, err
		}
		u.Embedding = &e
	}
	if err := CheckText("memory fields", texts...); err != nil {
		return u, err
	}
	if u.Tags != nil {
		if err := CheckText("tags", *u.Tags...); err != nil {
			return u, err
		}
		tags := append([]string{}, *u.Tags...)
		u.Tags = &tags
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = time.Now()
	}
	u.UpdatedAt = Time(u.UpdatedAt)
	return u, nil
}

// ApplyUpdate sets the fields u names on m, recomputing ContentHash when
// the content changes and mirroring a new embedding in EmbeddingModel and
// EmbeddingDim, and sets UpdatedAt. u comes from PrepareUpdate. It reports
// whether the content changed: the store must then make sure no other
// memory of the namespace holds it (ContentTaken).
func ApplyUpdate(m *mimo.Memory, u mimo.MemoryUpdate) (contentChanged bool) {
	if u.Content != nil && *u.Content != m.Content {
		m.Content = *u.Content
		m.ContentHash = ContentHash(m.Content)
		contentChanged = true
	}
	if u.Category != nil {
		m.Category = *u.Category
	}
	if u.Importance != nil {
		m.Importance = *u.Importance
	}
	if u.Tags != nil {
		m.Tags = *u.Tags
	}
	if u.Metadata != nil {
		m.Metadata = *u.Metadata
	}
	if u.Embedding != nil {
		m.Embedding = *u.Embedding
		m.EmbeddingModel, m.EmbeddingDim = m.Embedding.Model, m.Embedding.Dim
	}
	m.UpdatedAt = u.UpdatedAt
	return contentChanged
}

// Loaded completes a memory a store has read from its columns, with the
// embedding vector's stored bytes (nil for none): tags never nil, metadata
// {} when empty, timestamps in UTC, Embedding's Model and Dim from
// EmbeddingModel and EmbeddingDim, and the vector decoded. A vector that
// does not decode is EINTERNAL: the row is corrupt.
func Loaded(m *mimo.Memory, vector []byte) error {
	if m.Tags == nil {
		m.Tags = []string{}
	}
	if len(m.Metadata) == 0 {
		m.Metadata = json.RawMessage(`{}`)
	}
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if m.LastAccessedAt != nil {
		l := m.LastAccessedAt.UTC()
		m.LastAccessedAt = &l
	}
	m.Embedding = mimo.Embedding{Model: m.EmbeddingModel, Dim: m.EmbeddingDim}
	if len(vector) > 0 {
		v, err := mimo.DecodeVector(vector)
		if err != nil {
			return mimo.Wrap(mimo.EINTERNAL, err, "corrupt embedding of memory "+m.ID)
		}
		m.Embedding.Vector = v
	}
	return nil
}
