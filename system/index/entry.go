package index

import (
	"time"

	mimo "mimo/system"
)

// Entry is what the index keeps of one memory: its vector, the fields a
// mimo.Filter can test, and the two a search's score takes from the memory
// itself (Index.Ranking).
type Entry struct {
	ID         string
	Namespace  string // "" means mimo.DefaultNamespace
	Vector     []float32
	Category   mimo.Category
	Tags       []string
	CreatedAt  time.Time
	Superseded bool
	Importance float64
	UpdatedAt  time.Time
}

// EntryFromMemory returns the Entry of m, and false when m is nil or has no
// usable vector: none at all, or one whose length differs from the
// dimension recorded with it. Whether the vector has the index's dimension
// is for Upsert to check (Follower checks it before calling Upsert).
func EntryFromMemory(m *mimo.Memory) (Entry, bool) {
	if m == nil || len(m.Embedding.Vector) == 0 {
		return Entry{}, false
	}
	if m.Embedding.Dim != 0 && m.Embedding.Dim != len(m.Embedding.Vector) {
		return Entry{}, false
	}
	return Entry{
		ID:         m.ID,
		Namespace:  m.Namespace,
		Vector:     m.Embedding.Vector,
		Category:   m.Category,
		Tags:       m.Tags,
		CreatedAt:  m.CreatedAt,
		Superseded: m.SupersededBy != "",
		Importance: m.Importance,
		UpdatedAt:  m.UpdatedAt,
	}, true
}
