package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func embeddingCases() []testCase {
	return []testCase{
		{"Embeddings/PendingFindsEveryOtherVector", testPendingEmbeddings},
		{"Embeddings/SetIsLoggedAndKeepsChangedContent", testSetEmbeddings},
		{"Embeddings/ModelsCounted", testEmbeddingModels},
	}
}

// withEmbedding returns a memory of ns with content whose embedding is e.
func withEmbedding(ns, content string, e mimo.Embedding) *mimo.Memory {
	m := NewMemory(ns, content)
	m.Embedding, m.EmbeddingModel, m.EmbeddingDim = e, e.Model, e.Dim
	return m
}

// pendingFixture stores, across two namespaces, one memory per kind of
// embedding: the configured model's, none, another model's, another
// dimension's (of the same model name).
func pendingFixture(t *testing.T, s mimo.Store) (current, none, otherModel, otherDim *mimo.Memory) {
	current = create(t, s, NewMemory("a", "embedded by the configured model"))
	none = create(t, s, withEmbedding("b", "stored while the embedder was down", mimo.Embedding{}))
	otherModel = create(t, s, withEmbedding("a", "embedded by an older model",
		mimo.Embedding{Vector: []float32{1, 0, 0, 0}, Model: "older", Dim: 4}))
	otherDim = create(t, s, withEmbedding("b", "embedded at another dimension",
		mimo.Embedding{Vector: []float32{0, 1, 0, 0}, Model: EmbeddingModel, Dim: 4}))
	return
}

func testPendingEmbeddings(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	_, none, otherModel, otherDim := pendingFixture(t, s)

	got, err := s.PendingEmbeddings(ctx, mimo.EmbeddingQuery{Model: EmbeddingModel, Dim: EmbeddingDim})
	require.NoError(t, err)
	assert.Equal(t, []string{none.ID, otherModel.ID, otherDim.ID}, ids(got), "every namespace, in ID order")
	for _, m := range got {
		assert.Nil(t, m.Embedding.Vector, "no vector carried")
		assert.NotEmpty(t, m.Content)
		assert.Equal(t, Hash(m.Content), m.ContentHash)
		assert.NotEmpty(t, m.Namespace)
	}
	assert.Equal(t, "older", got[1].EmbeddingModel, "the model it has is told")

	// Paging: After and Limit.
	page, err := s.PendingEmbeddings(ctx, mimo.EmbeddingQuery{Model: EmbeddingModel, Dim: EmbeddingDim, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{none.ID, otherModel.ID}, ids(page))
	page, err = s.PendingEmbeddings(ctx, mimo.EmbeddingQuery{Model: EmbeddingModel, Dim: EmbeddingDim, Limit: 2, After: otherModel.ID})
	require.NoError(t, err)
	assert.Equal(t, []string{otherDim.ID}, ids(page))

	missing, err := s.PendingEmbeddings(ctx, mimo.EmbeddingQuery{Model: EmbeddingModel, Dim: EmbeddingDim, MissingOnly: true})
	require.NoError(t, err)
	assert.Equal(t, []string{none.ID}, ids(missing), "MissingOnly: the memories with no vector only")

	// Another configured model makes every vector pending.
	all, err := s.PendingEmbeddings(ctx, mimo.EmbeddingQuery{Model: "newer", Dim: 4})
	require.NoError(t, err)
	assert.Len(t, all, 4)

	_, err = s.PendingEmbeddings(ctx, mimo.EmbeddingQuery{Model: EmbeddingModel, Limit: -1})
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err))
}

func testSetEmbeddings(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	_, none, otherModel, _ := pendingFixture(t, s)
	_, last := since(t, s, 0)

	// otherModel's content changes after its vector was asked for: the
	// vector made from the old content must not land.
	changed := "embedded by an older model, then edited"
	_, err := s.UpdateMemory(ctx, "a", otherModel.ID, mimo.MemoryUpdate{Content: &changed})
	require.NoError(t, err)
	_, last = since(t, s, last)

	vec := Vector(none.Content)
	n, err := s.SetEmbeddings(ctx, []mimo.EmbeddingUpdate{
		{Namespace: "b", ID: none.ID, ContentHash: none.ContentHash, Embedding: mimo.Embedding{Vector: vec, Model: EmbeddingModel, Dim: EmbeddingDim}},
		{Namespace: "a", ID: otherModel.ID, ContentHash: otherModel.ContentHash, Embedding: mimo.Embedding{Vector: Vector("x"), Model: EmbeddingModel, Dim: EmbeddingDim}},
		{Namespace: "a", ID: none.ID, ContentHash: none.ContentHash, Embedding: mimo.Embedding{Vector: vec, Model: EmbeddingModel, Dim: EmbeddingDim}},
		{Namespace: "b", ID: "0190aaaa-0000-7000-8000-000000000000", ContentHash: none.ContentHash, Embedding: mimo.Embedding{Vector: vec, Model: EmbeddingModel, Dim: EmbeddingDim}},
	})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only the memory whose namespace, id and content match")

	got, err := s.GetMemory(ctx, "b", none.ID)
	require.NoError(t, err)
	assert.Equal(t, vec, got.Embedding.Vector)
	assert.Equal(t, EmbeddingModel, got.EmbeddingModel)
	assert.Equal(t, EmbeddingDim, got.EmbeddingDim)
	assert.True(t, none.UpdatedAt.Equal(got.UpdatedAt), "re-embedding is not an update of what the memory says")

	kept, err := s.GetMemory(ctx, "a", otherModel.ID)
	require.NoError(t, err)
	assert.Equal(t, "older", kept.EmbeddingModel, "edited content keeps the vector its update gave it")

	cs, _ := since(t, s, last)
	require.Equal(t, []string{"upsert " + none.ID}, changeKeys(cs), "each vector set is logged, so indexes follow")
	require.NotNil(t, cs[0].Memory)
	assert.Equal(t, vec, cs[0].Memory.Embedding.Vector)

	n, err = s.SetEmbeddings(ctx, nil)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = s.SetEmbeddings(ctx, []mimo.EmbeddingUpdate{{Namespace: "b", ID: none.ID, ContentHash: none.ContentHash,
		Embedding: mimo.Embedding{Vector: vec, Model: EmbeddingModel, Dim: 3}}})
	assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "a vector whose length is not its dimension")
}

func testEmbeddingModels(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	got, err := s.EmbeddingModels(ctx, EmbeddingModel, EmbeddingDim)
	require.NoError(t, err)
	assert.Empty(t, got, "an empty store holds no vectors")

	pendingFixture(t, s)
	create(t, s, NewMemory("c", "another memory of the configured model"))
	got, err = s.EmbeddingModels(ctx, EmbeddingModel, EmbeddingDim)
	require.NoError(t, err)
	assert.Equal(t, []mimo.EmbeddingCount{
		{Model: "", Dim: 0, Memories: 1},
		{Model: "older", Dim: 4, Memories: 1},
		{Model: EmbeddingModel, Dim: 4, Memories: 1},
	}, got, "every memory not of the given model and dimension, those with no vector included")

	got, err = s.EmbeddingModels(ctx, "older", 4)
	require.NoError(t, err)
	assert.Equal(t, []mimo.EmbeddingCount{
		{Model: EmbeddingModel, Dim: EmbeddingDim, Memories: 2},
		{Model: "", Dim: 0, Memories: 1},
		{Model: EmbeddingModel, Dim: 4, Memories: 1},
	}, got, "another model left out")

	got, err = s.EmbeddingModels(ctx, "", 0)
	require.NoError(t, err)
	assert.Equal(t, []mimo.EmbeddingCount{
		{Model: EmbeddingModel, Dim: EmbeddingDim, Memories: 2},
		{Model: "older", Dim: 4, Memories: 1},
		{Model: EmbeddingModel, Dim: 4, Memories: 1},
	}, got, "every model with vectors; none without")
}
