package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func changeCases() []testCase {
	return []testCase{
		{"Changes/EveryMutationLogged", testChangeLog},
		{"Changes/Paging", testChangesPaging},
	}
}

// changeKeys renders changes as "op id" for order-free comparison.
func changeKeys(cs []mimo.Change) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Op+" "+c.ID)
	}
	return out
}

// since returns the changes after seq, checks that their Seq values
// increase strictly and start after seq, and returns the last Seq.
func since(t *testing.T, s mimo.Store, seq int64) ([]mimo.Change, int64) {
	t.Helper()
	cs, err := s.Changes(t.Context(), seq, 1000)
	require.NoError(t, err)
	last := seq
	for _, c := range cs {
		require.Greater(t, c.Seq, last, "Seq increases strictly")
		last = c.Seq
	}
	top, err := s.LastChange(t.Context())
	require.NoError(t, err)
	assert.Equal(t, last, top, "LastChange is the highest Seq")
	return cs, last
}

func testChangeLog(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	last, err := s.LastChange(ctx)
	require.NoError(t, err)
	assert.Zero(t, last, "an empty log")
	cs, err := s.Changes(ctx, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, cs)

	// A create logs an upsert carrying the memory and its embedding.
	a := create(t, s, NewMemory("log", "first logged memory"))
	cs, last = since(t, s, 0)
	require.Equal(t, []string{"upsert " + a.ID}, changeKeys(cs))
	assert.Equal(t, "log", cs[0].Namespace)
	AssertSameMemory(t, a, cs[0].Memory, true)

	// Idempotent creates and touches log nothing.
	_, created, err := s.CreateMemory(ctx, NewMemory("log", a.Content))
	require.NoError(t, err)
	require.False(t, created)
	require.NoError(t, s.TouchMemories(ctx, "log", []string{a.ID}, at(time.Hour)))
	cs, last = since(t, s, last)
	assert.Empty(t, cs)

	// A superseding create logs both memories.
	b := NewMemory("log", "second logged memory")
	b.Supersedes = a.ID
	create(t, s, b)
	cs, last = since(t, s, last)
	assert.ElementsMatch(t, []string{"upsert " + a.ID, "upsert " + b.ID}, changeKeys(cs))
	for _, c := range cs {
		require.NotNil(t, c.Memory)
		assert.Equal(t, "log", c.Namespace)
		assert.Equal(t, c.ID, c.Memory.ID)
		assert.NotEmpty(t, c.Memory.Embedding.Vector, "upserts carry the embedding")
		if c.ID == a.ID {
			assert.Equal(t, b.ID, c.Memory.SupersededBy, "the upsert carries the current state")
		}
	}

	// An update logs an upsert.
	imp := 0.9
	_, err = s.UpdateMemory(ctx, "log", b.ID, mimo.MemoryUpdate{Importance: &imp, UpdatedAt: at(time.Hour)})
	require.NoError(t, err)
	cs, last = since(t, s, last)
	require.Equal(t, []string{"upsert " + b.ID}, changeKeys(cs))
	assert.Equal(t, 0.9, cs[0].Memory.Importance)

	// Deleting the superseding memory logs its delete and the old one's upsert.
	require.NoError(t, s.DeleteMemory(ctx, "log", b.ID))
	cs, _ = since(t, s, last)
	assert.ElementsMatch(t, []string{"delete " + b.ID, "upsert " + a.ID}, changeKeys(cs))
	for _, c := range cs {
		assert.Equal(t, "log", c.Namespace)
		if c.Op == mimo.OpDelete {
			assert.Nil(t, c.Memory, "a delete carries only ID and namespace")
		} else {
			require.NotNil(t, c.Memory)
			assert.Empty(t, c.Memory.SupersededBy)
		}
	}

	// Earlier upserts of a deleted memory now carry no memory.
	all, _ := since(t, s, 0)
	for _, c := range all {
		if c.ID == b.ID {
			assert.Nil(t, c.Memory, "entry %d: a deleted memory has no current state", c.Seq)
		}
	}
	// Failed mutations log nothing.
	top, err := s.LastChange(ctx)
	require.NoError(t, err)
	requireCode(t, s.DeleteMemory(ctx, "log", b.ID), mimo.ENOTFOUND)
	_, err = s.UpdateMemory(ctx, "log", b.ID, mimo.MemoryUpdate{Importance: &imp})
	requireCode(t, err, mimo.ENOTFOUND)
	after, err := s.LastChange(ctx)
	require.NoError(t, err)
	assert.Equal(t, top, after)
}

func testChangesPaging(t *testing.T, s mimo.Store) {
	ctx := t.Context()
	var want []string
	for i := range 10 {
		m := create(t, s, NewMemory("pages", fmt.Sprintf("change number %d", i)))
		want = append(want, "upsert "+m.ID)
	}
	var got []mimo.Change
	after := int64(0)
	for range 20 {
		cs, err := s.Changes(ctx, after, 3)
		require.NoError(t, err)
		require.LessOrEqual(t, len(cs), 3)
		if len(cs) == 0 {
			break
		}
		got = append(got, cs...)
		after = cs[len(cs)-1].Seq
	}
	assert.Equal(t, want, changeKeys(got), "pages follow Seq order with no gaps or repeats")
	last, err := s.LastChange(ctx)
	require.NoError(t, err)
	assert.Equal(t, after, last)
	cs, err := s.Changes(ctx, last, 3)
	require.NoError(t, err)
	assert.Empty(t, cs)
}
