package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

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
		{"CreateMemories/BadItemsNoSupersede", testBatchBadItemsNoSupersede},
		{"CreateMemories/ManyItemsFields", testBatchFields},
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

// hashOrdered returns two memories of namespace "batch" whose contents are
// lo and hi formatted with the first number that puts lo's content hash
// before hi's.
func hashOrdered(lo, hi string) (*mimo.Memory, *mimo.Memory) {
	for i := 0; ; i++ {
		a, b := fmt.Sprintf(lo, i), fmt.Sprintf(hi, i)
		if Hash(a) < Hash(b) {
			return NewMemory("batch", a), NewMemory("batch", b)
		}
	}
}

// A batch in which no item supersedes anything (a store may insert such a
// batch in one statement) still resolves every item in input order: a
// repeated content to its first item, stored content to the stored memory,
// and an ID used twice to its first item whatever the contents, even when
// the later item's content would sort first.
func testBatchBadItemsNoSupersede(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	taken := create(t, s, NewMemory("batch", "holds an ID"))
	old := create(t, s, NewMemory("batch", "stored before the batch"))
	before, err := s.LastChange(ctx)
	require.NoError(t, err)

	// first and second share an ID; second's content hash sorts before
	// first's, and so do third's and fourth's the other way round.
	second, first := hashOrdered("second holder %d", "first holder %d")
	second.ID = first.ID
	third, fourth := hashOrdered("third holder %d", "fourth holder %d")
	fourth.ID = third.ID
	clash := NewMemory("batch", "reuses a stored ID")
	clash.ID = taken.ID
	again := NewMemory("batch", "stored before the batch")
	repeat := NewMemory("batch", first.Content)
	good := NewMemory("batch", "a plain new memory")

	items := []*mimo.Memory{first, nil, second, clash, again, third, fourth, repeat, good}
	res, err := s.CreateMemories(ctx, items)
	require.NoError(t, err)
	require.Len(t, res, len(items))

	for _, c := range []struct {
		i       int
		want    *mimo.Memory
		created bool
	}{{0, first, true}, {4, old, false}, {5, third, true}, {7, first, false}, {8, good, true}} {
		require.NoError(t, res[c.i].Err, "item %d", c.i)
		assert.Equal(t, c.created, res[c.i].Created, "item %d", c.i)
		AssertSameMemory(t, c.want, res[c.i].Memory, true)
	}
	requireCode(t, res[1].Err, mimo.EINVALID, "nil item")
	requireCode(t, res[2].Err, mimo.ECONFLICT, "ID of an earlier item")
	requireCode(t, res[3].Err, mimo.ECONFLICT, "ID of a stored memory")
	requireCode(t, res[6].Err, mimo.ECONFLICT, "ID of an earlier item")

	for _, m := range []*mimo.Memory{first, third, good, taken, old} {
		got, err := s.GetMemory(ctx, "batch", m.ID)
		require.NoError(t, err)
		AssertSameMemory(t, m, got, true)
	}
	n, err := s.CountMemories(ctx, "batch")
	require.NoError(t, err)
	assert.EqualValues(t, 5, n)

	changes, err := s.Changes(ctx, before, 100)
	require.NoError(t, err)
	assert.Equal(t, []string{"upsert " + first.ID, "upsert " + third.ID, "upsert " + good.ID}, changeKeys(changes))
}

// Every field of every item of a larger batch is stored as given: tags
// (none, one, several, with characters array syntax uses), metadata, a
// missing vector, access fields, categories.
func testBatchFields(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	tagSets := [][]string{nil, {}, {"one"}, {"a,b", `q"uote`, "{brace}", "back\\slash", "ünï cödé", ""}, {"x", "y"}}
	cats := mimo.Categories
	accessed := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	var ms []*mimo.Memory
	for i := range 40 {
		m := NewMemory("fields", fmt.Sprintf("memory number %d of many", i))
		m.Tags = tagSets[i%len(tagSets)]
		m.Category = cats[i%len(cats)]
		m.Importance = float64(i%10) / 10
		m.Metadata = json.RawMessage(fmt.Sprintf(`{"n":%d,"s":"v%d","nested":{"k":[1,2]}}`, i, i))
		if i%4 == 1 {
			m.Embedding = mimo.Embedding{}
			m.EmbeddingModel, m.EmbeddingDim = "", 0
		}
		if i%3 == 2 {
			m.LastAccessedAt = &accessed
			m.AccessCount = int64(i)
		}
		ms = append(ms, m)
	}
	res, err := s.CreateMemories(ctx, ms)
	require.NoError(t, err)
	require.Len(t, res, len(ms))
	var want []string
	for i, m := range ms {
		require.NoError(t, res[i].Err, "item %d", i)
		assert.True(t, res[i].Created, "item %d", i)
		AssertSameMemory(t, m, res[i].Memory, true)
		got, err := s.GetMemory(ctx, "fields", m.ID)
		require.NoError(t, err)
		AssertSameMemory(t, m, got, true)
		want = append(want, m.ID)
	}
	got, err := s.GetMemories(ctx, "fields", want)
	require.NoError(t, err)
	assert.ElementsMatch(t, want, ids(got))
}
