package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func isolationCases() []testCase {
	return []testCase{
		{"NamespaceIsolation/EveryMethod", testIsolation},
	}
}

// A memory of namespace A is invisible and untouchable from namespace B.
func testIsolation(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	m := NewMemory("tenant-a", "the secret launch code is swordfish")
	m.Tags = []string{"secret"}
	a := create(t, s, m)
	const b = "tenant-b"
	fb := mimo.Filter{Namespace: b, IncludeSuperseded: true}

	_, err := s.GetMemory(ctx, b, a.ID)
	requireCode(t, err, mimo.ENOTFOUND, "Get")
	many, err := s.GetMemories(ctx, b, []string{a.ID})
	require.NoError(t, err)
	assert.Empty(t, many, "GetMemories")

	content := "overwritten from another tenant"
	imp := 0.0
	meta := json.RawMessage(`{"pwned":true}`)
	_, err = s.UpdateMemory(ctx, b, a.ID, mimo.MemoryUpdate{Content: &content, Importance: &imp, Metadata: &meta, UpdatedAt: at(time.Hour)})
	requireCode(t, err, mimo.ENOTFOUND, "Update")
	requireCode(t, s.DeleteMemory(ctx, b, a.ID), mimo.ENOTFOUND, "Delete")
	require.NoError(t, s.TouchMemories(ctx, b, []string{a.ID}, at(time.Hour)), "Touch")

	page, err := s.ListMemories(ctx, mimo.ListQuery{Filter: fb})
	require.NoError(t, err)
	assert.Empty(t, page.Memories, "List")
	page, err = s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: b, Tags: []string{"secret"}}})
	require.NoError(t, err)
	assert.Empty(t, page.Memories, "List by tag")
	hits, err := s.TextSearch(ctx, "swordfish launch code", fb, 10)
	require.NoError(t, err)
	assert.Empty(t, hits, "TextSearch")
	recent, err := s.RecentMemories(ctx, fb, 10)
	require.NoError(t, err)
	assert.Empty(t, recent, "Recent")
	n, err := s.CountMemories(ctx, b)
	require.NoError(t, err)
	assert.Zero(t, n, "Count")

	// Tenant B may store the very same content, and edit its own memory to
	// match tenant A's content, without conflict.
	mine := create(t, s, NewMemory(b, a.Content))
	other := create(t, s, NewMemory(b, "tenant b's own note"))
	sameAsA := a.Content + " (copy)"
	_, err = s.UpdateMemory(ctx, b, other.ID, mimo.MemoryUpdate{Content: &sameAsA, UpdatedAt: at(time.Hour)})
	require.NoError(t, err)
	sup := NewMemory(b, "tries to supersede tenant a")
	sup.Supersedes = a.ID
	_, _, err = s.CreateMemory(ctx, sup)
	requireCode(t, err, mimo.ENOTFOUND, "Supersedes across namespaces")
	require.NoError(t, s.DeleteMemory(ctx, b, mine.ID))

	// Tenant A's memory is exactly as it was.
	got, err := s.GetMemory(ctx, "tenant-a", a.ID)
	require.NoError(t, err)
	AssertSameMemory(t, a, got, true)
	hits, err = s.TextSearch(ctx, "swordfish", mimo.Filter{Namespace: "tenant-a"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{a.ID}, hitIDs(hits))
}
