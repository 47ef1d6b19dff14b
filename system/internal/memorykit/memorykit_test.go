package memorykit

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.FixedZone("x", 3600))
	for _, id := range []string{"0192f1c2-aaaa", "id:with:colons", "ünïcode"} {
		created, got, err := DecodeCursor(EncodeCursor(at, id))
		require.NoError(t, err)
		assert.Equal(t, id, got)
		assert.True(t, created.Equal(at), "created %s", created)
		assert.Equal(t, time.UTC, created.Location())
	}
}

func TestMalformedCursorIsInvalid(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, c := range []string{"", "!!!", "%00%ff", enc("hello"), enc("c1:"), enc("c1:12"), enc("c1:12:"),
		enc("c1:x:id"), enc("c2:12:id"), enc("12:id"), enc("c1:12:a\x00b"), enc("c1:12:\xff")} {
		_, _, err := DecodeCursor(c)
		require.Error(t, err, "cursor %q", c)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "cursor %q", c)
		assert.Contains(t, mimo.ErrorMessage(err), "not a cursor from a previous page")
	}
}

func TestLimits(t *testing.T) {
	assert.Equal(t, mimo.DefaultListLimit, ListLimit(0))
	assert.Equal(t, mimo.DefaultListLimit, ListLimit(-3))
	assert.Equal(t, 7, ListLimit(7))
	assert.Equal(t, mimo.MaxListLimit, ListLimit(mimo.MaxListLimit+1))
	assert.Equal(t, mimo.DefaultListLimit, RecentLimit(0))
	assert.Equal(t, mimo.MaxListLimit+1, RecentLimit(mimo.MaxListLimit+1), "the caller bounds recent")
	assert.Equal(t, 10, Limit(0, 10, 20))
	assert.Equal(t, 20, Limit(99, 10, 20))
}

func TestPrepareDefaults(t *testing.T) {
	in := &mimo.Memory{ID: "a", Content: "hello", SupersededBy: "b",
		Embedding: mimo.Embedding{Vector: []float32{1, 0}, Model: "m"}}
	before := time.Now().UTC().Truncate(time.Microsecond)
	c, err := Prepare(in)
	require.NoError(t, err)
	assert.Equal(t, mimo.DefaultNamespace, c.Namespace)
	assert.Equal(t, ContentHash("hello"), c.ContentHash)
	assert.Equal(t, mimo.CategoryFact, c.Category)
	assert.NotNil(t, c.Tags)
	assert.JSONEq(t, `{}`, string(c.Metadata))
	assert.False(t, c.CreatedAt.Before(before), "zero CreatedAt is now")
	assert.Equal(t, c.CreatedAt, c.UpdatedAt, "zero UpdatedAt is CreatedAt")
	assert.Equal(t, time.UTC, c.CreatedAt.Location())
	assert.Empty(t, c.SupersededBy, "only a later supersede sets it")
	assert.Equal(t, 2, c.Embedding.Dim)
	assert.Equal(t, "m", c.EmbeddingModel)
	assert.Equal(t, 2, c.EmbeddingDim)
	c.Embedding.Vector[0] = 9
	assert.Equal(t, float32(1), in.Embedding.Vector[0], "the caller's vector is not shared")
	assert.Equal(t, "b", in.SupersededBy, "the caller's memory is not changed")
	assert.Empty(t, in.Namespace)
}

func TestPrepareRejects(t *testing.T) {
	ok := func() *mimo.Memory { return &mimo.Memory{ID: "a", Content: "x"} }
	cases := map[string]*mimo.Memory{"nil": nil}
	for name, edit := range map[string]func(*mimo.Memory){
		"blank ID":          func(m *mimo.Memory) { m.ID = " " },
		"metadata array":    func(m *mimo.Memory) { m.Metadata = json.RawMessage(`[1]`) },
		"NUL content":       func(m *mimo.Memory) { m.Content = "a\x00" },
		"bad UTF-8 tag":     func(m *mimo.Memory) { m.Tags = []string{"\xff"} },
		"dimension differs": func(m *mimo.Memory) { m.Embedding = mimo.Embedding{Vector: []float32{1}, Dim: 2} },
	} {
		m := ok()
		edit(m)
		cases[name] = m
	}
	for name, m := range cases {
		_, err := Prepare(m)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "%s: %v", name, err)
	}
}

func TestApplyUpdate(t *testing.T) {
	m := &mimo.Memory{Content: "old", ContentHash: ContentHash("old"), Tags: []string{"t"}}
	same := "old"
	u, err := PrepareUpdate(mimo.MemoryUpdate{Content: &same})
	require.NoError(t, err)
	assert.False(t, ApplyUpdate(m, u), "the same content is no change")
	assert.False(t, m.UpdatedAt.IsZero(), "a zero UpdatedAt means now")

	content, cat, imp := "new", mimo.CategoryPlan, 0.9
	tags := []string{"a"}
	meta := json.RawMessage(`{ "k" : 1 }`)
	emb := mimo.Embedding{Vector: []float32{0, 1}, Model: "m2"}
	at := time.Date(2025, 1, 1, 0, 0, 0, 1500, time.UTC)
	u, err = PrepareUpdate(mimo.MemoryUpdate{Content: &content, Category: &cat, Importance: &imp, Tags: &tags,
		Metadata: &meta, Embedding: &emb, UpdatedAt: at})
	require.NoError(t, err)
	tags[0] = "changed later"
	assert.True(t, ApplyUpdate(m, u))
	assert.Equal(t, "new", m.Content)
	assert.Equal(t, ContentHash("new"), m.ContentHash)
	assert.Equal(t, cat, m.Category)
	assert.Equal(t, imp, m.Importance)
	assert.Equal(t, []string{"a"}, m.Tags)
	assert.Equal(t, `{"k":1}`, string(m.Metadata))
	assert.Equal(t, "m2", m.EmbeddingModel)
	assert.Equal(t, 2, m.EmbeddingDim)
	assert.Equal(t, at.Truncate(time.Microsecond), m.UpdatedAt)

	bad := json.RawMessage(`"s"`)
	nul := "a\x00"
	for name, u := range map[string]mimo.MemoryUpdate{
		"metadata": {Metadata: &bad}, "content": {Content: &nul},
		"embedding": {Embedding: &mimo.Embedding{Vector: []float32{1}, Dim: 3}},
	} {
		_, err := PrepareUpdate(u)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), name)
	}
}

func TestLoaded(t *testing.T) {
	m := &mimo.Memory{ID: "x", CreatedAt: time.Unix(1, 0), EmbeddingModel: "m", EmbeddingDim: 2}
	require.NoError(t, Loaded(m, mimo.EncodeVector([]float32{0.5, 0.5})))
	assert.Equal(t, []string{}, m.Tags)
	assert.Equal(t, `{}`, string(m.Metadata))
	assert.Equal(t, time.UTC, m.CreatedAt.Location())
	assert.Equal(t, mimo.Embedding{Vector: []float32{0.5, 0.5}, Model: "m", Dim: 2}, m.Embedding)
	err := Loaded(&mimo.Memory{ID: "y"}, []byte{1, 2, 3})
	assert.Equal(t, mimo.EINTERNAL, mimo.ErrorCode(err))
}

func TestErrorsQuoteAndClip(t *testing.T) {
	long := strings.Repeat("é", 100)
	msg := mimo.ErrorMessage(NotFound(long))
	assert.Less(t, len(msg), 100)
	assert.True(t, strings.HasSuffix(msg, `…" not found`), msg)
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(NotFound("a")))
	assert.Equal(t, mimo.ECONFLICT, mimo.ErrorCode(IDTaken("a")))
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(SupersededNotFound("a")))
	assert.Equal(t, mimo.ECONFLICT, mimo.ErrorCode(ContentTaken(nil)))
	assert.True(t, ItemError(IDTaken("a")))
	assert.False(t, ItemError(mimo.Errorf(mimo.EUNAVAILABLE, "down")))
	assert.Equal(t, "default", Namespace(""))
	assert.Equal(t, "ns", Namespace("ns"))
}

func TestPage(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := []*mimo.Memory{{ID: "c", CreatedAt: at}, {ID: "b", CreatedAt: at}, {ID: "a", CreatedAt: at}}
	p := Page(ms, 2)
	assert.Len(t, p.Memories, 2)
	created, id, err := DecodeCursor(p.NextCursor)
	require.NoError(t, err)
	assert.Equal(t, "b", id, "the cursor is after the last memory of the page")
	assert.True(t, created.Equal(at))
	p = Page(ms[:2], 2)
	assert.Len(t, p.Memories, 2)
	assert.Empty(t, p.NextCursor, "no extra row, no next page")
}
