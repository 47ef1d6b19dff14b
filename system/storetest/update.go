package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func updateCases() []testCase {
	return []testCase{
		{"UpdateMemory/Partial", testUpdatePartial},
		{"UpdateMemory/Content", testUpdateContent},
		{"UpdateMemory/ContentConflict", testUpdateConflict},
		{"UpdateMemory/NotFound", testUpdateNotFound},
		{"UpdateMemory/InvalidMetadata", testUpdateInvalidMetadata},
		{"UpdateMemory/ZeroUpdatedAtMeansNow", testUpdateZeroTime},
		{"DeleteMemory/GoneEverywhere", testDelete},
	}
}

func testUpdatePartial(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := NewMemory("upd", "a memory to update piece by piece")
	m.Tags = []string{"keep"}
	m.Metadata = json.RawMessage(`{"a":1}`)
	create(t, s, m)
	want := *m

	imp := 0.25
	want.Importance, want.UpdatedAt = imp, at(time.Minute)
	got, err := s.UpdateMemory(ctx, "upd", m.ID, mimo.MemoryUpdate{Importance: &imp, UpdatedAt: want.UpdatedAt})
	require.NoError(t, err)
	AssertSameMemory(t, &want, got, true)

	cat := mimo.CategoryEpisode
	tags := []string{"new", "tags", "new-order"}
	meta := json.RawMessage(`{"b":{"c":[true,false]},"d":"e"}`)
	want.Category, want.Tags, want.Metadata, want.UpdatedAt = cat, tags, meta, at(2*time.Minute+time.Microsecond)
	got, err = s.UpdateMemory(ctx, "upd", m.ID, mimo.MemoryUpdate{Category: &cat, Tags: &tags, Metadata: &meta, UpdatedAt: want.UpdatedAt})
	require.NoError(t, err)
	AssertSameMemory(t, &want, got, true)

	empty := []string{}
	want.Tags, want.UpdatedAt = empty, at(3*time.Minute)
	got, err = s.UpdateMemory(ctx, "upd", m.ID, mimo.MemoryUpdate{Tags: &empty, UpdatedAt: want.UpdatedAt})
	require.NoError(t, err)
	AssertSameMemory(t, &want, got, true)

	got, err = s.GetMemory(ctx, "upd", m.ID)
	require.NoError(t, err)
	AssertSameMemory(t, &want, got, true)
}

func testUpdateContent(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := create(t, s, NewMemory("upd", "the password manager is keepass"))
	content := "the password manager is bitwarden"
	emb := mimo.Embedding{Vector: Vector(content), Model: "other-model", Dim: EmbeddingDim}
	got, err := s.UpdateMemory(ctx, "upd", m.ID, mimo.MemoryUpdate{Content: &content, Embedding: &emb, UpdatedAt: at(time.Hour)})
	require.NoError(t, err)
	want := *m
	want.Content, want.ContentHash, want.Embedding, want.UpdatedAt = content, Hash(content), emb, at(time.Hour)
	AssertSameMemory(t, &want, got, true)
	got, err = s.GetMemory(ctx, "upd", m.ID)
	require.NoError(t, err)
	AssertSameMemory(t, &want, got, true)

	hits, err := s.TextSearch(ctx, "bitwarden", mimo.Filter{Namespace: "upd"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, hitIDs(hits), "the new content is searchable")
	hits, err = s.TextSearch(ctx, "keepass", mimo.Filter{Namespace: "upd"}, 10)
	require.NoError(t, err)
	assert.Empty(t, hits, "the old content is not")

	again, created, err := s.CreateMemory(ctx, NewMemory("upd", content))
	require.NoError(t, err)
	assert.False(t, created, "the content hash follows the content")
	assert.Equal(t, m.ID, again.ID)
	_, created, err = s.CreateMemory(ctx, NewMemory("upd", "the password manager is keepass"))
	require.NoError(t, err)
	assert.True(t, created, "the old content is free again")
}

func testUpdateConflict(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("upd", "content of a"))
	b := create(t, s, NewMemory("upd", "content of b"))
	content := a.Content
	_, err := s.UpdateMemory(ctx, "upd", b.ID, mimo.MemoryUpdate{Content: &content, UpdatedAt: at(time.Hour)})
	requireCode(t, err, mimo.ECONFLICT)
	got, err := s.GetMemory(ctx, "upd", b.ID)
	require.NoError(t, err)
	AssertSameMemory(t, b, got, true)

	same := a.Content
	got, err = s.UpdateMemory(ctx, "upd", a.ID, mimo.MemoryUpdate{Content: &same, UpdatedAt: at(time.Hour)})
	require.NoError(t, err, "setting a memory's content to itself is no conflict")
	assert.Equal(t, a.Content, got.Content)
}

func testUpdateNotFound(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	imp := 0.9
	_, err := s.UpdateMemory(ctx, "upd", uuid.Must(uuid.NewV7()).String(), mimo.MemoryUpdate{Importance: &imp, UpdatedAt: at(0)})
	requireCode(t, err, mimo.ENOTFOUND)
}

func testUpdateInvalidMetadata(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := create(t, s, NewMemory("upd", "metadata stays an object"))
	bad := json.RawMessage(`[1]`)
	_, err := s.UpdateMemory(ctx, "upd", m.ID, mimo.MemoryUpdate{Metadata: &bad, UpdatedAt: at(0)})
	requireCode(t, err, mimo.EINVALID)
	nul := "text with a NUL \x00"
	_, err = s.UpdateMemory(ctx, "upd", m.ID, mimo.MemoryUpdate{Content: &nul, UpdatedAt: at(0)})
	requireCode(t, err, mimo.EINVALID, "NUL in content")
	_, err = s.UpdateMemory(ctx, "upd", uuid.Must(uuid.NewV7()).String(), mimo.MemoryUpdate{Metadata: &bad, UpdatedAt: at(0)})
	requireCode(t, err, mimo.EINVALID, "a bad update is invalid whether or not the memory exists")
	got, err := s.GetMemory(ctx, "upd", m.ID)
	require.NoError(t, err)
	AssertSameMemory(t, m, got, true)
}

func testUpdateZeroTime(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := NewMemory("upd", "updated without a time")
	m.CreatedAt, m.UpdatedAt = at(0), at(0)
	create(t, s, m)
	imp := 0.75
	got, err := s.UpdateMemory(ctx, "upd", m.ID, mimo.MemoryUpdate{Importance: &imp})
	require.NoError(t, err)
	assert.True(t, got.UpdatedAt.After(m.UpdatedAt), "a zero UpdatedAt means now, got %s", got.UpdatedAt)
	assert.Equal(t, time.UTC, got.UpdatedAt.Location())
}

func testDelete(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	keep := create(t, s, NewMemory("del", "the giraffe stays"))
	gone := create(t, s, NewMemory("del", "the giraffe leaves"))
	require.NoError(t, s.DeleteMemory(ctx, "del", gone.ID))

	_, err := s.GetMemory(ctx, "del", gone.ID)
	requireCode(t, err, mimo.ENOTFOUND)
	many, err := s.GetMemories(ctx, "del", []string{gone.ID, keep.ID})
	require.NoError(t, err)
	assert.Equal(t, []string{keep.ID}, ids(many))
	page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "del", IncludeSuperseded: true}})
	require.NoError(t, err)
	assert.Equal(t, []string{keep.ID}, ids(page.Memories))
	hits, err := s.TextSearch(ctx, "giraffe leaves", mimo.Filter{Namespace: "del", IncludeSuperseded: true}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{keep.ID}, hitIDs(hits))
	recent, err := s.RecentMemories(ctx, mimo.Filter{Namespace: "del"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{keep.ID}, ids(recent))
	n, err := s.CountMemories(ctx, "del")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)

	requireCode(t, s.DeleteMemory(ctx, "del", gone.ID), mimo.ENOTFOUND, "deleting twice")
	_, created, err := s.CreateMemory(ctx, NewMemory("del", gone.Content))
	require.NoError(t, err)
	assert.True(t, created, "deleted content can be stored again")
}
