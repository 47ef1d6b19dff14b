package memory

import (
	"container/list"
	"sync"

	"mimo/system"
)

// DefaultReadCacheBytes is Options.ReadCacheBytes's zero value
// (MIMO_READ_CACHE).
const DefaultReadCacheBytes = 64 << 20

// readCache keeps the memories the service wrote or read last, so that
// while the database cannot be reached reads are still answered (marked
// degraded), and so that a write queued in the spool is readable at once.
// It is bounded by bytes (an estimate of each memory's size), least
// recently used first out, and keyed by namespace and id: a lookup never
// sees another namespace's memory.
//
// An entry is pending while it comes from a queued write not yet applied;
// a pending entry is what the database will hold, so reads prefer it to
// the database. A deleted memory leaves a tombstone while its delete is
// pending. All methods are safe for concurrent use and do nothing on a
// nil cache (the cache disabled).
type readCache struct {
	max int64

	mu    sync.Mutex
	ll    *list.List // front: most recently used
	items map[cacheKey]*list.Element
	size  int64
}

type cacheKey struct{ ns, id string }

type cacheEntry struct {
	key     cacheKey
	m       *mimo.Memory // nil for a tombstone
	pending bool
	size    int64
}

// newReadCache returns a cache of at most max bytes; nil when max <= 0.
func newReadCache(max int64) *readCache {
	if max <= 0 {
		return nil
	}
	return &readCache{max: max, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

// entryOverhead approximates what an entry costs beyond its variable
// parts: the struct, the list element, the map slot and the timestamps.
const entryOverhead = 400

func memorySize(m *mimo.Memory) int64 {
	if m == nil {
		return entryOverhead
	}
	n := entryOverhead + len(m.ID) + len(m.Namespace) + len(m.Content) + len(m.Metadata) +
		len(m.Supersedes) + len(m.SupersededBy) + len(m.ContentHash) + len(m.Embedding.Model) + 4*len(m.Embedding.Vector)
	for _, t := range m.Tags {
		n += len(t) + 16
	}
	return int64(n)
}

// copyMemory is a copy a caller may change without changing the cache's.
// The vector is shared: nothing changes a vector in place.
func copyMemory(m *mimo.Memory) *mimo.Memory {
	c := *m
	if m.Tags != nil {
		c.Tags = append(make([]string, 0, len(m.Tags)), m.Tags...)
	}
	if m.LastAccessedAt != nil {
		t := *m.LastAccessedAt
		c.LastAccessedAt = &t
	}
	return &c
}

// put keeps a copy of m. A memory read from the database (pending false)
// does not replace a pending entry: the queued write is newer. A memory
// without a vector (lists carry none) keeps the vector of the entry it
// replaces when its content is the same.
func (c *readCache) put(m *mimo.Memory, pending bool) {
	if c == nil || m == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey{m.Namespace, m.ID}
	cp := copyMemory(m)
	if el, ok := c.items[k]; ok {
		old := el.Value.(*cacheEntry)
		if old.pending && !pending {
			c.ll.MoveToFront(el)
			return
		}
		if len(cp.Embedding.Vector) == 0 && old.m != nil && old.m.Content == cp.Content {
			cp.Embedding = old.m.Embedding
		}
		c.remove(el)
	}
	c.add(&cacheEntry{key: k, m: cp, pending: pending})
}

// putIfAbsent keeps a copy of m unless the cache has an entry for it.
func (c *readCache) putIfAbsent(m *mimo.Memory) {
	if c == nil || m == nil {
		return
	}
	c.mu.Lock()
	_, ok := c.items[cacheKey{m.Namespace, m.ID}]
	c.mu.Unlock()
	if !ok {
		c.put(m, false)
	}
}

// tombstone records a pending delete of ns/id.
func (c *readCache) tombstone(ns, id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey{ns, id}
	if el, ok := c.items[k]; ok {
		c.remove(el)
	}
	c.add(&cacheEntry{key: k, pending: true})
}

// forget drops ns/id.
func (c *readCache) forget(ns, id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[cacheKey{ns, id}]; ok {
		c.remove(el)
	}
}

// settle marks ns/id applied: a memory stays as an ordinary entry, a
// tombstone goes.
func (c *readCache) settle(ns, id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[cacheKey{ns, id}]; ok {
		e := el.Value.(*cacheEntry)
		if e.m == nil {
			c.remove(el)
		} else {
			e.pending = false
		}
	}
}

// get returns a copy of ns/id's memory; deleted is true for a tombstone,
// found false when the cache has no entry.
func (c *readCache) get(ns, id string) (m *mimo.Memory, pending, deleted, found bool) {
	if c == nil {
		return nil, false, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[cacheKey{ns, id}]
	if !ok {
		return nil, false, false, false
	}
	c.ll.MoveToFront(el)
	e := el.Value.(*cacheEntry)
	if e.m == nil {
		return nil, e.pending, true, true
	}
	return copyMemory(e.m), e.pending, false, true
}

// memories returns copies of the cached memories of namespace ns that
// are not deleted, in no particular order.
func (c *readCache) memories(ns string) []*mimo.Memory {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*mimo.Memory
	for k, el := range c.items {
		if e := el.Value.(*cacheEntry); k.ns == ns && e.m != nil {
			out = append(out, copyMemory(e.m))
		}
	}
	return out
}

// bytes returns the cache's estimated size.
func (c *readCache) bytes() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// add inserts e and evicts from the back until the cache fits. A memory
// larger than the whole cache is not kept. c.mu is held.
func (c *readCache) add(e *cacheEntry) {
	e.size = memorySize(e.m)
	if e.size > c.max {
		return
	}
	c.items[e.key] = c.ll.PushFront(e)
	c.size += e.size
	for c.size > c.max {
		c.remove(c.ll.Back())
	}
}

func (c *readCache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.ll.Remove(el)
	delete(c.items, e.key)
	c.size -= e.size
}
