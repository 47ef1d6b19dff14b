package storetest

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func batchCases() []testCase {
	return []testCase{
		{"CreateMemories/InputOrderAndDuplicates", testBatchOrder},
		{"CreateMemories/ExistingContent", testBatchExisting},
		{"CreateMemories/BadItemsDoNotStopOthers", testBatchBadItems},
		{"CreateMemories/SupersedeEarlierItem", testBatchSupersedeEarlier},
		{"CreateMemories/Empty", testBatchEmpty},
	}
}

func testBatchOrder(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := NewMemory("batch", "alpha in a batch")
	b := NewMemory("batch", "bravo in a batch")
	a2 := NewMemory("batch", "alpha in a batch")
	c := NewMemory("batch", "charlie in a batch")
	c.Tags = []string{"x", "y"}
	res, err := s.CreateMemories(ctx, []*mimo.Memory{a, b, a2, c})
	require.NoError(t, err)
	require.Len(t, res, 4)
	for i, want := range []*mimo.Memory{a, b, a, c} {
		require.NoError(t, res[i].Err, "item %d", i)
		AssertSameMemory(t, want, res[i].Memory, true)
	}
	assert.True(t, res[0].Created)
	assert.True(t, res[1].Created)
	assert.False(t, res[2].Created, "a repeat inside the batch resolves to the first")
	assert.True(t, res[3].Created)

	n, err := s.CountMemories(ctx, "batch")
	require.NoError(t, err)
	assert.EqualValues(t, 3, n)
	for _, m := range []*mimo.Memory{a, b, c} {
		got, err := s.GetMemory(ctx, "batch", m.ID)
		require.NoError(t, err)
		AssertSameMemory(t, m, got, true)
	}
	_, err = s.GetMemory(ctx, "batch", a2.ID)
	requireCode(t, err, mimo.ENOTFOUND)
}

func testBatchExisting(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	old := create(t, s, NewMemory("batch", "already stored"))
	fresh := NewMemory("batch", "brand new")
	res, err := s.CreateMemories(ctx, []*mimo.Memory{NewMemory("batch", "already stored"), fresh})
	require.NoError(t, err)
	require.Len(t, res, 2)
	require.NoError(t, res[0].Err)
	assert.False(t, res[0].Created)
	AssertSameMemory(t, old, res[0].Memory, true)
	require.NoError(t, res[1].Err)
	assert.True(t, res[1].Created)
	AssertSameMemory(t, fresh, res[1].Memory, true)
}

// A batch item that supersedes a missing memory, a nil item and an item with
// a used ID each fail alone; the rest are stored and logged.
func testBatchBadItems(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	taken := create(t, s, NewMemory("batch", "holds an ID"))
	before, err := s.LastChange(ctx)
	require.NoError(t, err)

	a := NewMemory("batch", "good item one")
	bad := NewMemory("batch", "supersedes a ghost")
	bad.Supersedes = uuid.Must(uuid.NewV7()).String()
	clash := NewMemory("batch", "reuses an ID")
	clash.ID = taken.ID
	c := NewMemory("batch", "good item two")
	res, err := s.CreateMemories(ctx, []*mimo.Memory{a, bad, nil, clash, c})
	require.NoError(t, err)
	require.Len(t, res, 5)

	require.NoError(t, res[0].Err)
	assert.True(t, res[0].Created)
	AssertSameMemory(t, a, res[0].Memory, true)
	requireCode(t, res[1].Err, mimo.ENOTFOUND, "bad supersedes")
	assert.False(t, res[1].Created)
	requireCode(t, res[2].Err, mimo.EINVALID, "nil item")
	requireCode(t, res[3].Err, mimo.ECONFLICT, "used ID")
	require.NoError(t, res[4].Err)
	assert.True(t, res[4].Created)
	AssertSameMemory(t, c, res[4].Memory, true)

	got, err := s.GetMemories(ctx, "batch", []string{a.ID, bad.ID, c.ID, taken.ID})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{a.ID, c.ID, taken.ID}, ids(got))
	stillTaken, err := s.GetMemory(ctx, "batch", taken.ID)
	require.NoError(t, err)
	AssertSameMemory(t, taken, stillTaken, true)

	changes, err := s.Changes(ctx, before, 100)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"upsert " + a.ID, "upsert " + c.ID}, changeKeys(changes))
}

func testBatchSupersedeEarlier(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := NewMemory("batch", "first draft")
	b := NewMemory("batch", "second draft")
	b.Supersedes = a.ID
	res, err := s.CreateMemories(ctx, []*mimo.Memory{a, b})
	require.NoError(t, err)
	require.Len(t, res, 2)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	got, err := s.GetMemory(ctx, "batch", a.ID)
	require.NoError(t, err)
	assert.Equal(t, b.ID, got.SupersededBy)
	gotB, err := s.GetMemory(ctx, "batch", b.ID)
	require.NoError(t, err)
	assert.Equal(t, a.ID, gotB.Supersedes)
}

func testBatchEmpty(t *testing.T, s mimo.Store) {
	res, err := s.CreateMemories(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, res)
	res, err = s.CreateMemories(t.Context(), []*mimo.Memory{})
	require.NoError(t, err)
	assert.Empty(t, res)
}
