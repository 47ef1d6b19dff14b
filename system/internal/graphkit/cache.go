package graphkit

import (
	"strings"
	"sync"
)

// DefaultCacheEntities bounds the entities one namespace may have for its
// search text to be cached (about 200 bytes each, so 20 MB at the bound);
// a larger namespace is searched in the database.
const DefaultCacheEntities = 100_000

// SearchCache holds each namespace's entity names, in name order, with
// their search text (SearchText), tagged with the graph version they were
// read at, so SearchNodes can scan them in Go instead of in SQL. A store
// bumps a namespace's version in the same transaction as every write that
// changes an entity, and reads the version in the transaction it searches
// in: a cached namespace is used only at the version it was read at, so
// writes by this process or any other are never missed. Safe for
// concurrent use.
type SearchCache struct {
	// MaxEntities bounds a cached namespace; 0 means DefaultCacheEntities.
	MaxEntities int

	mu     sync.Mutex
	spaces map[string]*cachedSpace
}

type cachedSpace struct {
	version  int64
	oversize bool // over MaxEntities at version: search it in the database
	names    []string
	texts    []string
}

// Find returns, in name order, up to limit names of ns whose search text
// contains q (lower-cased, from Query, exact), and true; or false when the
// cache does not hold ns at version.
func (c *SearchCache) Find(ns string, version int64, q string, limit int) ([]string, bool) {
	c.mu.Lock()
	sp := c.spaces[ns]
	c.mu.Unlock()
	if sp == nil || sp.version != version || sp.oversize {
		return nil, false
	}
	out := []string{}
	for i, t := range sp.texts {
		if strings.Contains(t, q) {
			out = append(out, sp.names[i])
			if len(out) == limit {
				break
			}
		}
	}
	return out, true
}

// Oversize reports whether ns was found over MaxEntities at version, so a
// store searches it in the database without reading it for the cache again.
func (c *SearchCache) Oversize(ns string, version int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	sp := c.spaces[ns]
	return sp != nil && sp.version == version && sp.oversize
}

// Put caches ns at version: names in name order and their search texts.
// It reports false, keeping only the note that ns is oversize at version
// (see Oversize), when ns is over MaxEntities.
func (c *SearchCache) Put(ns string, version int64, names, texts []string) bool {
	max := c.MaxEntities
	if max <= 0 {
		max = DefaultCacheEntities
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spaces == nil {
		c.spaces = map[string]*cachedSpace{}
	}
	if len(names) > max || len(names) != len(texts) {
		c.spaces[ns] = &cachedSpace{version: version, oversize: true}
		return false
	}
	c.spaces[ns] = &cachedSpace{version: version, names: names, texts: texts}
	return true
}
