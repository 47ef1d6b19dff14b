package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared read statements by their SQL. Preparing a
// statement (parsing and planning it) cost a third of a search's final
// read by id; a statement prepared once is kept by database/sql on each
// reader connection that runs it. Only statements from a small, fixed set
// of texts may be cached (reads by id in their length classes, see
// idClass; the change log's read; the graph's version), so the cache stays
// bounded.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// get returns the prepared statement for query, preparing it on first use.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st, nil
}

// close closes every cached statement; the first error is returned.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for q, st := range c.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.stmts, q)
	}
	return first
}

// idClass is the number of IDs a statement reading n of them binds: the
// next power of two, at most maxVars. The missing places repeat the last
// ID, which IN ignores; so reads of any length share eleven statements.
func idClass(n int) int {
	c := 1
	for c < n {
		c *= 2
	}
	return min(c, maxVars)
}
