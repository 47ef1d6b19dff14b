package graphkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func TestSearchTextAndQuery(t *testing.T) {
	assert.Equal(t, "école\ncity\nfounded by romans\nωmega", SearchText("ÉCOLE", "City", []string{"Founded by ROMANS", "Ωmega"}))
	assert.Equal(t, "a\nb", SearchText("A", "B", nil))

	q, exact, ok := Query("ÉCOLE 100%")
	assert.Equal(t, "école 100%", q)
	assert.True(t, exact)
	assert.True(t, ok)
	_, exact, ok = Query("one\nTwo")
	assert.False(t, exact, "a newline may straddle fields")
	assert.True(t, ok)
	for _, blank := range []string{"", " ", "\t\n "} {
		_, _, ok = Query(blank)
		assert.False(t, ok, "%q matches nothing", blank)
	}

	e := mimo.Entity{Name: "Split", EntityType: "Kind", Observations: []string{"Line one\nline two"}}
	assert.True(t, Contains(e, "one\nline"))
	assert.False(t, Contains(e, "split\nkind"), "never across two fields")
	assert.True(t, Contains(e, "kind"))
}

func TestCursor(t *testing.T) {
	for _, name := range []string{"a", "école", "with:colon", "Ω 🙂"} {
		got, err := DecodeCursor(EncodeCursor(name))
		require.NoError(t, err)
		assert.Equal(t, name, got)
	}
	got, err := DecodeCursor("")
	require.NoError(t, err)
	assert.Empty(t, got)
	for _, bad := range []string{"!", "aGVsbG8", EncodeCursor("")[:3], "ZzE6AA"} {
		_, err := DecodeCursor(bad)
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "%q", bad)
	}
}

func TestLimit(t *testing.T) {
	assert.Equal(t, mimo.DefaultGraphLimit, Limit(0))
	assert.Equal(t, mimo.DefaultGraphLimit, Limit(-1))
	assert.Equal(t, 7, Limit(7))
	assert.Equal(t, mimo.MaxGraphLimit, Limit(mimo.MaxGraphLimit+1))
}

func TestState(t *testing.T) {
	st := NewState(mimo.Entity{Name: "A", EntityType: "t", Observations: []string{"1", "2"}})
	assert.Equal(t, []string{}, st.Add([]string{"2"}))
	assert.False(t, st.Changed)
	assert.Equal(t, []string{"3"}, st.Add([]string{"3", "3", "1"}))
	assert.True(t, st.Changed)
	st.Remove([]string{"1", "absent", "1"})
	assert.Equal(t, []string{"2", "3"}, st.Entity.Observations)
	assert.Equal(t, []string{"1"}, st.Add([]string{"1"}), "a removed observation may come back, at the end")
	assert.Equal(t, []string{"2", "3", "1"}, st.Entity.Observations)
	assert.Equal(t, "a\nt\n2\n3\n1", st.SearchText())

	st = NewState(mimo.Entity{Name: "B"})
	st.Remove([]string{"x"})
	assert.False(t, st.Changed)
	assert.NotNil(t, st.Entity.Observations)
}

func TestUniqueAndOrder(t *testing.T) {
	assert.Equal(t, []string{}, Unique(nil))
	assert.Equal(t, []string{"b", "a"}, Unique([]string{"b", "a", "b"}))
	es := UniqueEntities([]mimo.Entity{{Name: "x", EntityType: "1", Observations: []string{"o", "o"}}, {Name: "x", EntityType: "2"}})
	assert.Equal(t, []mimo.Entity{{Name: "x", EntityType: "1", Observations: []string{"o"}}}, es)
	assert.Equal(t, []string{"A", "B", "C"}, Ends([]mimo.Relation{{From: "A", To: "B"}, {From: "B", To: "C"}, {From: "A", To: "A"}}))
	es = []mimo.Entity{{Name: "école"}, {Name: "b"}, {Name: "Z"}}
	SortEntities(es)
	assert.Equal(t, []string{"Z", "b", "école"}, Names(es), "byte order")
	rs := []mimo.Relation{{From: "b", To: "a", RelationType: "x"}, {From: "a", To: "b", RelationType: "y"}, {From: "a", To: "b", RelationType: "X"}}
	SortRelations(rs)
	assert.Equal(t, []mimo.Relation{{From: "a", To: "b", RelationType: "X"}, {From: "a", To: "b", RelationType: "y"}, {From: "b", To: "a", RelationType: "x"}}, rs)
	assert.Contains(t, mimo.ErrorMessage(NotFound("Ghost")), `"Ghost"`)
	assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(NotFound("Ghost")))
}
