package memory

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
)

func mem(ns, id, content string) *mimo.Memory {
	return &mimo.Memory{ID: id, Namespace: ns, Content: content, Embedding: mimo.Embedding{Vector: make([]float32, 8)}}
}

func TestReadCacheKeepsNamespacesApart(t *testing.T) {
	c := newReadCache(1 << 20)
	c.put(mem("a", "1", "alpha"), false)
	_, _, _, found := c.get("b", "1")
	assert.False(t, found)
	assert.Empty(t, c.memories("b"))
	m, pending, deleted, found := c.get("a", "1")
	require.True(t, found)
	assert.False(t, pending)
	assert.False(t, deleted)
	assert.Equal(t, "alpha", m.Content)
	m.Content = "changed by a caller"
	m2, _, _, _ := c.get("a", "1")
	assert.Equal(t, "alpha", m2.Content, "callers get copies")

	empty := mem("a", "2", "no tags")
	empty.Tags = []string{}
	c.put(empty, false)
	m3, _, _, _ := c.get("a", "2")
	assert.NotNil(t, m3.Tags, "no tags stays [] in JSON, not null")
}

func TestReadCacheIsBoundedByBytes(t *testing.T) {
	one := memorySize(mem("a", "1", strings.Repeat("x", 1000)))
	c := newReadCache(3 * one)
	for _, id := range []string{"1", "2", "3"} {
		c.put(mem("a", id, strings.Repeat("x", 1000)), false)
	}
	c.get("a", "1") // recently used
	c.put(mem("a", "4", strings.Repeat("x", 1000)), false)
	_, _, _, found := c.get("a", "2")
	assert.False(t, found, "the least recently used goes first")
	for _, id := range []string{"1", "3", "4"} {
		_, _, _, found := c.get("a", id)
		assert.True(t, found, id)
	}
	assert.LessOrEqual(t, c.bytes(), 3*one)
	c.put(mem("a", "big", strings.Repeat("x", 10000)), false)
	_, _, _, found = c.get("a", "big")
	assert.False(t, found, "a memory larger than the cache is not kept")
	assert.Nil(t, newReadCache(0), "zero disables")
	var off *readCache
	off.put(mem("a", "1", "x"), true)
	_, _, _, found = off.get("a", "1")
	assert.False(t, found)
}

func TestReadCachePrefersQueuedWrites(t *testing.T) {
	c := newReadCache(1 << 20)
	c.put(mem("a", "1", "queued"), true)
	c.put(mem("a", "1", "read from the database before the write applied"), false)
	m, pending, _, _ := c.get("a", "1")
	assert.Equal(t, "queued", m.Content)
	assert.True(t, pending)
	c.settle("a", "1")
	_, pending, _, found := c.get("a", "1")
	assert.True(t, found)
	assert.False(t, pending)

	c.tombstone("a", "1")
	_, pending, deleted, found := c.get("a", "1")
	assert.True(t, found && deleted && pending)
	assert.Empty(t, c.memories("a"))
	c.settle("a", "1")
	_, _, _, found = c.get("a", "1")
	assert.False(t, found, "an applied delete leaves nothing behind")
}
