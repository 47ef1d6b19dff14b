package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func createCases() []testCase {
	return []testCase{
		{"Create/RoundTripEveryField", testCreateRoundTrip},
		{"Create/DefaultsAndNoEmbedding", testCreateDefaults},
		{"Create/LargeUnicodeContent", testCreateLargeUnicode},
		{"Create/IdempotentSameNamespace", testCreateIdempotent},
		{"Create/SameContentOtherNamespace", testCreateOtherNamespace},
		{"Create/DuplicateIDConflicts", testCreateDuplicateID},
		{"Create/InvalidArguments", testCreateInvalid},
		{"Create/DefaultNamespace", testCreateDefaultNamespace},
		{"Supersedes/MarksOld", testSupersedes},
		{"Supersedes/UnknownIsNotFound", testSupersedesUnknown},
		{"Supersedes/OtherNamespaceIsNotFound", testSupersedesOtherNamespace},
		{"Supersedes/IdempotentCreateSupersedesNothing", testSupersedesIdempotent},
		{"Supersedes/DeleteNewRestoresOld", testSupersedesDeleteNew},
	}
}

func testCreateRoundTrip(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := NewMemory("round-trip", "The deploy key rotates every 90 days; see the runbook.")
	m.Category = mimo.CategoryPlan
	m.Importance = 0.875
	m.Tags = []string{"ops", "security", "ünïcödé tag", "a"}
	m.Metadata = json.RawMessage(`{"source":"chat","n":1.5,"nested":{"list":[1,"two",null,true]},"empty":{}}`)
	m.CreatedAt = at(0)
	m.UpdatedAt = at(90*time.Minute + 123*time.Microsecond)
	last := at(2*time.Hour + 999999*time.Microsecond)
	m.LastAccessedAt = &last
	m.AccessCount = 7

	stored, created, err := s.CreateMemory(ctx, m)
	require.NoError(t, err)
	assert.True(t, created)
	AssertSameMemory(t, m, stored, true)

	got, err := s.GetMemory(ctx, "round-trip", m.ID)
	require.NoError(t, err)
	AssertSameMemory(t, m, got, true)

	many, err := s.GetMemories(ctx, "round-trip", []string{m.ID})
	require.NoError(t, err)
	require.Len(t, many, 1)
	AssertSameMemory(t, m, many[0], len(many[0].Embedding.Vector) > 0)
}

func testCreateDefaults(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := NewMemory("defaults", "a memory with nothing optional")
	m.Tags = nil
	m.Metadata = nil
	m.Embedding = mimo.Embedding{}
	m.EmbeddingModel, m.EmbeddingDim = "", 0

	stored, created, err := s.CreateMemory(ctx, m)
	require.NoError(t, err)
	require.True(t, created)
	AssertSameMemory(t, m, stored, true)

	got, err := s.GetMemory(ctx, "defaults", m.ID)
	require.NoError(t, err)
	AssertSameMemory(t, m, got, true)
	assert.Equal(t, []string{}, got.Tags)
	assert.JSONEq(t, `{}`, string(got.Metadata))
	assert.Empty(t, got.Embedding.Vector)
	assert.Zero(t, got.EmbeddingDim)
}

func testCreateLargeUnicode(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	unit := "naïve café 東京 🚀 Ελληνικά "
	content := strings.Repeat(unit, mimo.MaxContentBytes/len(unit))
	require.LessOrEqual(t, len(content), mimo.MaxContentBytes)
	m := NewMemory("unicode", content)
	create(t, s, m)
	got, err := s.GetMemory(ctx, "unicode", m.ID)
	require.NoError(t, err)
	AssertSameMemory(t, m, got, true)
}

func testCreateIdempotent(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	first := create(t, s, NewMemory("idem", "identical content"))
	before, err := s.LastChange(ctx)
	require.NoError(t, err)

	again := NewMemory("idem", "identical content")
	again.Importance = 0.1
	got, created, err := s.CreateMemory(ctx, again)
	require.NoError(t, err)
	assert.False(t, created, "same content in the same namespace is not created twice")
	AssertSameMemory(t, first, got, true)

	n, err := s.CountMemories(ctx, "idem")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	_, err = s.GetMemory(ctx, "idem", again.ID)
	requireCode(t, err, mimo.ENOTFOUND, "the second ID was never stored")
	after, err := s.LastChange(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "an idempotent create logs no change")
}

func testCreateOtherNamespace(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("ns-one", "shared words in two namespaces"))
	b := NewMemory("ns-two", "shared words in two namespaces")
	got, created, err := s.CreateMemory(ctx, b)
	require.NoError(t, err)
	assert.True(t, created, "the same content in another namespace is a new memory")
	assert.Equal(t, b.ID, got.ID)
	assert.NotEqual(t, a.ID, got.ID)
	for _, ns := range []string{"ns-one", "ns-two"} {
		n, err := s.CountMemories(ctx, ns)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, ns)
	}
}

func testCreateDuplicateID(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("dup-id", "the first content"))
	b := NewMemory("dup-id", "different content, same ID")
	b.ID = a.ID
	_, _, err := s.CreateMemory(ctx, b)
	requireCode(t, err, mimo.ECONFLICT)
	got, err := s.GetMemory(ctx, "dup-id", a.ID)
	require.NoError(t, err)
	AssertSameMemory(t, a, got, true)
}

func testCreateInvalid(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	_, _, err := s.CreateMemory(ctx, nil)
	requireCode(t, err, mimo.EINVALID, "nil memory")

	m := NewMemory("invalid", "no id")
	m.ID = ""
	_, _, err = s.CreateMemory(ctx, m)
	requireCode(t, err, mimo.EINVALID, "empty ID")

	for _, meta := range []string{`[1,2]`, `"text"`, `not json`, `{"open":`} {
		m := NewMemory("invalid", "bad metadata "+meta)
		m.Metadata = json.RawMessage(meta)
		_, _, err := s.CreateMemory(ctx, m)
		requireCode(t, err, mimo.EINVALID, "metadata %s", meta)
	}
	// What one store cannot hold, no store takes.
	for name, edit := range map[string]func(m *mimo.Memory){
		"NUL in content":         func(m *mimo.Memory) { m.Content += "\x00" },
		"invalid UTF-8 in a tag": func(m *mimo.Memory) { m.Tags = []string{"\xff"} },
		"NUL in the namespace":   func(m *mimo.Memory) { m.Namespace = "in\x00valid" },
	} {
		m := NewMemory("invalid", "bad text: "+name)
		edit(m)
		_, _, err := s.CreateMemory(ctx, m)
		requireCode(t, err, mimo.EINVALID, name)
	}
	n, err := s.CountMemories(ctx, "*")
	require.NoError(t, err)
	assert.Zero(t, n, "nothing invalid is stored")
}

func testCreateDefaultNamespace(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := NewMemory("", "stored without a namespace")
	stored, created, err := s.CreateMemory(ctx, m)
	require.NoError(t, err)
	require.True(t, created)
	assert.Equal(t, mimo.DefaultNamespace, stored.Namespace)

	got, err := s.GetMemory(ctx, mimo.DefaultNamespace, m.ID)
	require.NoError(t, err)
	assert.Equal(t, mimo.DefaultNamespace, got.Namespace)
	got, err = s.GetMemory(ctx, "", m.ID)
	require.NoError(t, err)
	assert.Equal(t, m.ID, got.ID)

	n, err := s.CountMemories(ctx, "")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	page, err := s.ListMemories(ctx, mimo.ListQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, ids(page.Memories))
}

func testSupersedes(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	old := create(t, s, NewMemory("sup", "the office is on floor 3"))
	nu := NewMemory("sup", "the office moved to floor 5")
	nu.Supersedes = old.ID
	stored, created, err := s.CreateMemory(ctx, nu)
	require.NoError(t, err)
	require.True(t, created)
	AssertSameMemory(t, nu, stored, true)

	got, err := s.GetMemory(ctx, "sup", old.ID)
	require.NoError(t, err, "a superseded memory is still readable")
	want := *old
	want.SupersededBy = nu.ID
	AssertSameMemory(t, &want, got, true)

	page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "sup"}})
	require.NoError(t, err)
	assert.Equal(t, []string{nu.ID}, ids(page.Memories), "superseded memories are out of default lists")
	page, err = s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "sup", IncludeSuperseded: true}})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{nu.ID, old.ID}, ids(page.Memories))

	n, err := s.CountMemories(ctx, "sup")
	require.NoError(t, err)
	assert.EqualValues(t, 2, n, "superseded memories are counted")
}

func testSupersedesUnknown(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	create(t, s, NewMemory("sup", "an unrelated memory"))
	before, err := s.LastChange(ctx)
	require.NoError(t, err)
	m := NewMemory("sup", "supersedes nothing that exists")
	m.Supersedes = uuid.Must(uuid.NewV7()).String()
	_, _, err = s.CreateMemory(ctx, m)
	requireCode(t, err, mimo.ENOTFOUND)
	_, err = s.GetMemory(ctx, "sup", m.ID)
	requireCode(t, err, mimo.ENOTFOUND, "a failed create stores nothing")
	n, err := s.CountMemories(ctx, "sup")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	after, err := s.LastChange(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a failed create logs nothing")
}

func testSupersedesOtherNamespace(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	theirs := create(t, s, NewMemory("tenant-a", "tenant a's fact"))
	m := NewMemory("tenant-b", "tries to supersede across tenants")
	m.Supersedes = theirs.ID
	_, _, err := s.CreateMemory(ctx, m)
	requireCode(t, err, mimo.ENOTFOUND)
	got, err := s.GetMemory(ctx, "tenant-a", theirs.ID)
	require.NoError(t, err)
	assert.Empty(t, got.SupersededBy, "another namespace's memory is untouched")
	_, err = s.GetMemory(ctx, "tenant-b", m.ID)
	requireCode(t, err, mimo.ENOTFOUND)
}

func testSupersedesIdempotent(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	a := create(t, s, NewMemory("sup", "memory a"))
	b := create(t, s, NewMemory("sup", "memory b"))
	again := NewMemory("sup", "memory b")
	again.Supersedes = a.ID
	got, created, err := s.CreateMemory(ctx, again)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, b.ID, got.ID)
	gotA, err := s.GetMemory(ctx, "sup", a.ID)
	require.NoError(t, err)
	assert.Empty(t, gotA.SupersededBy, "an idempotent create writes nothing, not even a supersede")
}

func testSupersedesDeleteNew(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	old := create(t, s, NewMemory("sup", "version one of the fact"))
	nu := NewMemory("sup", "version two of the fact")
	nu.Supersedes = old.ID
	create(t, s, nu)

	require.NoError(t, s.DeleteMemory(ctx, "sup", nu.ID))
	got, err := s.GetMemory(ctx, "sup", old.ID)
	require.NoError(t, err)
	assert.Empty(t, got.SupersededBy, "deleting the superseding memory makes the old one current")
	page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: "sup"}})
	require.NoError(t, err)
	assert.Equal(t, []string{old.ID}, ids(page.Memories))
	hits, err := s.TextSearch(ctx, "version fact", mimo.Filter{Namespace: "sup"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{old.ID}, hitIDs(hits))
}
