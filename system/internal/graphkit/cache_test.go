package graphkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSearchCacheAnswersOnlyAtItsVersion(t *testing.T) {
	var c SearchCache
	_, ok := c.Find("ns", 0, "a", 10)
	assert.False(t, ok, "nothing cached")

	names := []string{"Ana", "Bob", "Cara"}
	texts := []string{SearchText("Ana", "person", []string{"Leads billing"}), SearchText("Bob", "person", nil), SearchText("Cara", "team", []string{"billing too"})}
	assert.True(t, c.Put("ns", 7, names, texts))

	got, ok := c.Find("ns", 7, "billing", 10)
	assert.True(t, ok)
	assert.Equal(t, []string{"Ana", "Cara"}, got, "in name order")
	got, _ = c.Find("ns", 7, "billing", 1)
	assert.Equal(t, []string{"Ana"}, got, "the limit")
	got, _ = c.Find("ns", 7, "nobody", 10)
	assert.NotNil(t, got)
	assert.Empty(t, got)

	_, ok = c.Find("ns", 8, "billing", 10)
	assert.False(t, ok, "another version is a miss")
	_, ok = c.Find("other", 7, "billing", 10)
	assert.False(t, ok, "namespaces are apart")
}

func TestSearchCacheRefusesANamespaceOverItsBound(t *testing.T) {
	c := SearchCache{MaxEntities: 2}
	assert.True(t, c.Put("ns", 1, []string{"a", "b"}, []string{"a", "b"}))
	assert.False(t, c.Oversize("ns", 1))
	assert.False(t, c.Put("ns", 2, []string{"a", "b", "c"}, []string{"a", "b", "c"}))
	_, ok := c.Find("ns", 1, "a", 10)
	assert.False(t, ok, "the old version is dropped too")
	_, ok = c.Find("ns", 2, "a", 10)
	assert.False(t, ok)
	assert.True(t, c.Oversize("ns", 2), "remembered, so the namespace is not read again at this version")
	assert.False(t, c.Oversize("ns", 3), "a new version may fit")
}
