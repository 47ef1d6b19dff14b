package storetest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

// The embedding NewMemory attaches: a deterministic vector of EmbeddingDim
// floats made by Vector, labelled with EmbeddingModel.
const (
	EmbeddingModel = "storetest-sha256"
	EmbeddingDim   = 8
)

// Hash returns the hex SHA-256 of content, the ContentHash every memory
// carries.
func Hash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// Vector returns a deterministic L2-normalised vector of EmbeddingDim floats
// derived from content. It carries no meaning; it only lets tests check that
// a store keeps vectors bit for bit.
func Vector(content string) []float32 {
	sum := sha256.Sum256([]byte(content))
	v := make([]float32, EmbeddingDim)
	var norm float64
	for i := range v {
		x := float64(int16(binary.LittleEndian.Uint16(sum[2*i:]))) / math.MaxInt16
		v[i] = float32(x)
		norm += x * x
	}
	if norm == 0 {
		v[0], norm = 1, 1
	}
	n := float32(math.Sqrt(norm))
	for i := range v {
		v[i] /= n
	}
	return v
}

// NewMemory returns a memory ready for Store.CreateMemory, as the service
// would build it: a fresh UUIDv7 ID, category fact, importance 0.5, no tags,
// an empty metadata object, CreatedAt and UpdatedAt set to now truncated to
// the microsecond (what stores keep), ContentHash set, and the Vector of
// content as its embedding. An empty ns is left empty.
func NewMemory(ns, content string) *mimo.Memory {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &mimo.Memory{
		ID:             uuid.Must(uuid.NewV7()).String(),
		Namespace:      ns,
		Content:        content,
		Category:       mimo.CategoryFact,
		Importance:     mimo.DefaultImportance,
		Tags:           []string{},
		Metadata:       json.RawMessage(`{}`),
		CreatedAt:      now,
		UpdatedAt:      now,
		ContentHash:    Hash(content),
		Embedding:      mimo.Embedding{Vector: Vector(content), Model: EmbeddingModel, Dim: EmbeddingDim},
		EmbeddingModel: EmbeddingModel,
		EmbeddingDim:   EmbeddingDim,
	}
}

// AssertSameMemory checks that got is the stored form of want: every field
// equal, metadata equal as JSON (stores may re-encode it), timestamps equal
// to the microsecond and in UTC, nil tags read back as an empty non-nil
// slice, nil metadata as {}, and EmbeddingModel/EmbeddingDim mirroring the
// embedding. With withVector the embedding vector must be kept bit for bit;
// without it (lists) got must carry no vector. It reports whether all held.
func AssertSameMemory(t testing.TB, want, got *mimo.Memory, withVector bool) bool {
	t.Helper()
	if !assert.NotNil(t, got, "memory") {
		return false
	}
	ok := true
	check := func(b bool) { ok = ok && b }
	check(assert.Equal(t, want.ID, got.ID, "ID"))
	check(assert.Equal(t, want.Namespace, got.Namespace, "Namespace of %s", want.ID))
	check(assert.Equal(t, want.Content, got.Content, "Content of %s", want.ID))
	check(assert.Equal(t, want.ContentHash, got.ContentHash, "ContentHash of %s", want.ID))
	check(assert.Equal(t, want.Category, got.Category, "Category of %s", want.ID))
	check(assert.Equal(t, want.Importance, got.Importance, "Importance of %s", want.ID))
	wantTags := want.Tags
	if wantTags == nil {
		wantTags = []string{}
	}
	check(assert.NotNil(t, got.Tags, "Tags of %s must not be nil", want.ID))
	check(assert.Equal(t, wantTags, []string(append([]string{}, got.Tags...)), "Tags of %s", want.ID))
	wantMeta := string(want.Metadata)
	if len(want.Metadata) == 0 {
		wantMeta = "{}"
	}
	check(assert.JSONEq(t, wantMeta, string(got.Metadata), "Metadata of %s", want.ID))
	check(assertTime(t, want.CreatedAt, got.CreatedAt, "CreatedAt of "+want.ID))
	check(assertTime(t, want.UpdatedAt, got.UpdatedAt, "UpdatedAt of "+want.ID))
	if want.LastAccessedAt == nil {
		check(assert.Nil(t, got.LastAccessedAt, "LastAccessedAt of %s", want.ID))
	} else if check(assert.NotNil(t, got.LastAccessedAt, "LastAccessedAt of %s", want.ID)); got.LastAccessedAt != nil {
		check(assertTime(t, *want.LastAccessedAt, *got.LastAccessedAt, "LastAccessedAt of "+want.ID))
	}
	check(assert.Equal(t, want.AccessCount, got.AccessCount, "AccessCount of %s", want.ID))
	check(assert.Equal(t, want.Supersedes, got.Supersedes, "Supersedes of %s", want.ID))
	check(assert.Equal(t, want.SupersededBy, got.SupersededBy, "SupersededBy of %s", want.ID))
	check(assert.Equal(t, want.Embedding.Model, got.EmbeddingModel, "EmbeddingModel of %s", want.ID))
	check(assert.Equal(t, want.Embedding.Dim, got.EmbeddingDim, "EmbeddingDim of %s", want.ID))
	if withVector {
		check(assert.Equal(t, want.Embedding.Model, got.Embedding.Model, "Embedding.Model of %s", want.ID))
		check(assert.Equal(t, want.Embedding.Dim, got.Embedding.Dim, "Embedding.Dim of %s", want.ID))
		if len(want.Embedding.Vector) == 0 {
			check(assert.Empty(t, got.Embedding.Vector, "Embedding.Vector of %s", want.ID))
		} else {
			check(assert.Equal(t, want.Embedding.Vector, got.Embedding.Vector, "Embedding.Vector of %s", want.ID))
		}
	} else {
		check(assert.Empty(t, got.Embedding.Vector, "a listed memory (%s) carries no vector", want.ID))
	}
	return ok
}

func assertTime(t testing.TB, want, got time.Time, what string) bool {
	t.Helper()
	if !assert.Truef(t, want.Equal(got), "%s: want %s, got %s", what, want.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano)) {
		return false
	}
	return assert.Equal(t, time.UTC, got.Location(), "%s must be in UTC", what)
}

// requireCode fails the test unless err is a *mimo.Error (or wraps one) with
// the given code.
func requireCode(t testing.TB, err error, code string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, code, mimo.ErrorCode(err), "error %v", err)
}

// ids returns the IDs of ms, in order.
func ids(ms []*mimo.Memory) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// hitIDs returns the IDs of hs, in order.
func hitIDs(hs []mimo.TextHit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

// create stores m and fails the test unless it was newly created.
func create(t testing.TB, s mimo.Store, m *mimo.Memory) *mimo.Memory {
	t.Helper()
	got, created, err := s.CreateMemory(t.Context(), m)
	require.NoError(t, err, "create %q", m.Content)
	require.True(t, created, "create %q", m.Content)
	return got
}

// createAll stores ms in one batch and fails unless every item was created.
func createAll(t testing.TB, s mimo.Store, ms []*mimo.Memory) {
	t.Helper()
	res, err := s.CreateMemories(t.Context(), ms)
	require.NoError(t, err)
	require.Len(t, res, len(ms))
	for i, r := range res {
		require.NoError(t, r.Err, "item %d", i)
		require.True(t, r.Created, "item %d", i)
	}
}

// at returns base plus d, a fixed instant so tests can order memories.
func at(d time.Duration) time.Time {
	return time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC).Add(d)
}
