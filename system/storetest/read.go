package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func readCases() []testCase {
	return []testCase{
		{"Ping", testPing},
		{"GetMemory/Missing", testGetMissing},
		{"GetMemories/IgnoresMissing", testGetMemories},
		{"GetMemoriesNoVector/KeepsModel", testGetMemoriesNoVector},
		{"TouchMemories/Counts", testTouch},
		{"TouchMemories/DeleteForgetsCounts", testTouchDelete},
		{"CountMemories/NamespaceAndAll", testCount},
	}
}

func testPing(t *testing.T, s mimo.Store) {
	require.NoError(t, s.Ping(t.Context()))
}

func testGetMissing(t *testing.T, s mimo.Store) {
	_, err := s.GetMemory(t.Context(), "get", uuid.Must(uuid.NewV7()).String())
	requireCode(t, err, mimo.ENOTFOUND)
	_, err = s.GetMemory(t.Context(), "get", "not-even-a-uuid")
	requireCode(t, err, mimo.ENOTFOUND)
}

func testGetMemories(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("many", "first of many"))
	b := create(t, s, NewMemory("many", "second of many"))
	create(t, s, NewMemory("many", "third of many"))
	other := create(t, s, NewMemory("elsewhere", "in another namespace"))

	got, err := s.GetMemories(ctx, "many", []string{a.ID, uuid.Must(uuid.NewV7()).String(), b.ID, other.ID, "junk"})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{a.ID, b.ID}, ids(got))
	for _, m := range got {
		want := a
		if m.ID == b.ID {
			want = b
		}
		AssertSameMemory(t, want, m, len(m.Embedding.Vector) > 0)
	}

	got, err = s.GetMemories(ctx, "many", nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = s.GetMemories(ctx, "many", []string{uuid.Must(uuid.NewV7()).String()})
	require.NoError(t, err)
	assert.Empty(t, got)
}

// testGetMemoriesNoVector: the same memories as GetMemories, each with its
// embedding's model and dimension (search reports them) but no vector.
func testGetMemoriesNoVector(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("lite", "first of the light ones"))
	bare := NewMemory("lite", "stored before any embedder ran")
	bare.Embedding, bare.EmbeddingModel, bare.EmbeddingDim = mimo.Embedding{}, "", 0
	bare = create(t, s, bare)
	other := create(t, s, NewMemory("elsewhere", "not in the light namespace"))

	got, err := s.GetMemoriesNoVector(ctx, "lite", []string{a.ID, bare.ID, uuid.Must(uuid.NewV7()).String(), other.ID, "junk"})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{a.ID, bare.ID}, ids(got))
	for _, m := range got {
		want := a
		if m.ID == bare.ID {
			want = bare
		}
		AssertSameMemory(t, want, m, false)
		assert.Equal(t, want.Embedding.Model, m.Embedding.Model, "Embedding.Model of %s", m.ID)
		assert.Equal(t, want.Embedding.Dim, m.Embedding.Dim, "Embedding.Dim of %s", m.ID)
	}
	full, err := s.GetMemories(ctx, "lite", []string{a.ID})
	require.NoError(t, err)
	require.Len(t, full, 1)
	assert.NotEmpty(t, full[0].Embedding.Vector, "GetMemories still carries the vector")

	got, err = s.GetMemoriesNoVector(ctx, "lite", nil)
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func testTouch(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("touch", "touched twice"))
	b := create(t, s, NewMemory("touch", "touched once"))
	c := create(t, s, NewMemory("touch", "never touched"))
	before, err := s.LastChange(ctx)
	require.NoError(t, err)

	t1 := at(time.Hour + 17*time.Microsecond)
	require.NoError(t, s.TouchMemories(ctx, "touch", []string{a.ID, b.ID, uuid.Must(uuid.NewV7()).String()}, t1))
	t2 := at(2*time.Hour + 42*time.Microsecond)
	require.NoError(t, s.TouchMemories(ctx, "touch", []string{a.ID}, t2))
	require.NoError(t, s.TouchMemories(ctx, "touch", nil, t2))

	check := func(m *mimo.Memory, count int64, last *time.Time) {
		t.Helper()
		got, err := s.GetMemory(ctx, "touch", m.ID)
		require.NoError(t, err)
		want := *m
		want.AccessCount = count
		want.LastAccessedAt = last
		AssertSameMemory(t, &want, got, true)
	}
	check(a, 2, &t2)
	check(b, 1, &t1)
	check(c, 0, nil)

	after, err := s.LastChange(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "touches are not logged")

	// Every read that returns a memory carries its counts.
	got, err := s.GetMemoriesNoVector(ctx, "touch", []string{a.ID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, int64(2), got[0].AccessCount, "GetMemoriesNoVector")
	page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "touch"}})
	require.NoError(t, err)
	counts := map[string]int64{}
	for _, m := range page.Memories {
		counts[m.ID] = m.AccessCount
	}
	assert.Equal(t, map[string]int64{a.ID: 2, b.ID: 1, c.ID: 0}, counts, "ListMemories")
	importance := 0.9
	u, err := s.UpdateMemory(ctx, "touch", b.ID, mimo.MemoryUpdate{Importance: &importance})
	require.NoError(t, err)
	assert.Equal(t, int64(1), u.AccessCount, "UpdateMemory keeps and returns the count")
	require.NotNil(t, u.LastAccessedAt)
	assertTime(t, t1, *u.LastAccessedAt, "UpdateMemory keeps the last access")
}

// testTouchDelete: a deleted memory's counts go with it. A memory stored
// after it, even under the same ID, starts from its own counts.
func testTouchDelete(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("forget", "touched, then deleted"))
	require.NoError(t, s.TouchMemories(ctx, "forget", []string{a.ID}, at(time.Hour)))
	require.NoError(t, s.DeleteMemory(ctx, "forget", a.ID))

	b := create(t, s, NewMemory("forget", "stored after the delete"))
	again := NewMemory("forget", "touched, then deleted")
	again.ID = a.ID
	again = create(t, s, again)
	for _, m := range []*mimo.Memory{b, again} {
		got, err := s.GetMemory(ctx, "forget", m.ID)
		require.NoError(t, err)
		AssertSameMemory(t, m, got, true)
		assert.Zero(t, got.AccessCount, "memory %s", m.ID)
	}
	require.NoError(t, s.TouchMemories(ctx, "forget", []string{again.ID}, at(2*time.Hour)))
	got, err := s.GetMemory(ctx, "forget", again.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(1), got.AccessCount, "counted from zero again")
}

func testCount(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	n, err := s.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.Zero(t, n, "a fresh store is empty")
	for i, c := range []string{"one", "two"} {
		create(t, s, NewMemory("count-a", "count a "+c+string(rune('0'+i))))
	}
	for _, c := range []string{"one", "two", "three"} {
		create(t, s, NewMemory("count-b", "count b "+c))
	}
	for ns, want := range map[string]int64{"count-a": 2, "count-b": 3, "*": 5, "count-none": 0} {
		n, err := s.CountMemories(ctx, ns)
		require.NoError(t, err)
		assert.Equal(t, want, n, ns)
	}
}
