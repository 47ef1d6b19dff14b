package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"mimo/system"
	"mimo/system/internal/graphkit"
	"mimo/system/internal/memorykit"
)

// The knowledge graph's reads. Each runs in one read transaction on the
// read pool, so its entities and relations come from one snapshot.

// ReadGraph returns one page of ns's graph: up to limit entities by name
// after cursor, and the relations from them.
func (s *Store) ReadGraph(ctx context.Context, ns, cursor string, limit int) (*mimo.Graph, error) {
	ns = memorykit.Namespace(ns)
	limit = graphkit.Limit(limit)
	after, err := graphkit.DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	g := graphkit.Empty()
	err = s.readTx(ctx, "sqlite: read graph", func(tx *sql.Tx) error {
		// One more than the page tells whether another page follows. Names
		// are never empty, so "" is before every name.
		rows, err := tx.QueryContext(ctx, `SELECT `+entityCols+` FROM entities
			WHERE namespace = ? AND name > ? ORDER BY name LIMIT ?`, ns, after, limit+1)
		if err != nil {
			return err
		}
		es, err := scanEntities(rows)
		if err != nil {
			return err
		}
		if len(es) > limit {
			es = es[:limit]
			g.NextCursor = graphkit.EncodeCursor(es[limit-1].Name)
		}
		g.Entities = es
		list, err := encodeStrings(graphkit.Names(es))
		if err != nil {
			return err
		}
		g.Relations, err = queryRelations(ctx, tx, `SELECT `+relationCols+` FROM relations
			WHERE namespace = ? AND from_name IN (SELECT value FROM json_each(?))
			ORDER BY from_name, to_name, relation_type`, ns, list)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// SearchNodes returns up to limit entities of ns, by name, whose name, type
// or an observation contains query ignoring case, and the relations with
// at least one end among them. A query that is empty or only spaces
// matches nothing.
func (s *Store) SearchNodes(ctx context.Context, ns, query string, limit int) (*mimo.Graph, error) {
	ns = memorykit.Namespace(ns)
	limit = graphkit.Limit(limit)
	if _, _, ok := graphkit.Query(query); !ok {
		return graphkit.Empty(), nil
	}
	var g *mimo.Graph
	err := s.readTx(ctx, "sqlite: search nodes", func(tx *sql.Tx) error {
		es, err := (&graphRead{s: s, tx: tx, ns: ns}).search(ctx, query, limit)
		if err != nil {
			return err
		}
		g, err = withRelationsTouching(ctx, tx, ns, es)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// FindEntities returns, for each query, the entities SearchNodes would
// return for it (without their relations), all read in one transaction:
// a question's graph retrieval looks up several of its words at once.
func (s *Store) FindEntities(ctx context.Context, ns string, queries []string, limit int) ([][]mimo.Entity, error) {
	ns = memorykit.Namespace(ns)
	limit = graphkit.Limit(limit)
	if out, ok, err := s.findNothing(ctx, ns, queries, limit); err != nil || ok {
		return out, err
	}
	out := make([][]mimo.Entity, len(queries))
	err := s.readTx(ctx, "sqlite: find entities", func(tx *sql.Tx) error {
		r := &graphRead{s: s, tx: tx, ns: ns}
		for i, q := range queries {
			es, err := r.search(ctx, q, limit)
			if err != nil {
				return err
			}
			out[i] = es
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var _ mimo.EntityFinder = (*Store)(nil)

// graphVersionQuery reads a namespace's graph version (no row: 0).
const graphVersionQuery = `SELECT version FROM graph_versions WHERE namespace = ?`

// findNothing answers FindEntities in one statement, with no transaction
// to begin and end, when the search cache holds the namespace at the
// version just read and finds no entity for any query (most words of most
// questions name none): it reports true with an empty list per query. Any
// match, or a namespace not cached, reports false, for FindEntities to
// read the entities in a transaction.
func (s *Store) findNothing(ctx context.Context, ns string, queries []string, limit int) ([][]mimo.Entity, bool, error) {
	st, err := s.stmts.get(ctx, graphVersionQuery)
	if err != nil {
		return nil, false, dbErr(ctx, err, "sqlite: find entities")
	}
	var version int64
	if err := st.QueryRowContext(ctx, ns).Scan(&version); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, dbErr(ctx, err, "sqlite: find entities")
	}
	out := make([][]mimo.Entity, len(queries))
	for i, query := range queries {
		out[i] = []mimo.Entity{}
		q, exact, ok := graphkit.Query(query)
		if !ok {
			continue
		}
		if !exact {
			return nil, false, nil
		}
		if names, ok := s.search.Find(ns, version, q, limit); !ok || len(names) > 0 {
			return nil, false, nil
		}
	}
	return out, true, nil
}

// graphRead is a search of ns's entities within one read transaction; it
// reads the graph's version at most once.
type graphRead struct {
	s       *Store
	tx      *sql.Tx
	ns      string
	version int64
	read    bool // version holds the graph's version
}

// search returns up to limit entities of the namespace, by name, whose
// name, type or an observation contains query ignoring case: from the
// process's search cache when the query folds exactly (see graphkit.Query)
// and the namespace is small enough to cache, else in SQL.
func (r *graphRead) search(ctx context.Context, query string, limit int) ([]mimo.Entity, error) {
	q, exact, ok := graphkit.Query(query)
	if !ok {
		return []mimo.Entity{}, nil
	}
	if exact {
		names, ok, err := r.cachedSearch(ctx, q, limit)
		if err != nil {
			return nil, err
		}
		if ok {
			return entitiesNamed(ctx, r.tx, r.ns, names)
		}
	}
	sqlLimit := limit
	if !exact {
		sqlLimit = -1 // no limit: candidates are checked below
	}
	rows, err := r.tx.QueryContext(ctx, `SELECT `+entityCols+` FROM entities
		WHERE namespace = ? AND instr(search, ?) > 0 ORDER BY name LIMIT ?`, r.ns, q, sqlLimit)
	if err != nil {
		return nil, err
	}
	es, err := scanEntities(rows)
	if err != nil {
		return nil, err
	}
	if !exact {
		es = slices.DeleteFunc(es, func(e mimo.Entity) bool { return !graphkit.Contains(e, q) })
		es = es[:min(limit, len(es))]
	}
	return es, nil
}

// cachedSearch finds up to limit names of the namespace whose search text
// contains q (exact) in the process's search cache, loading the namespace
// into it when the cache does not hold its current version (read in the
// transaction, the same snapshot the entities are then read in). It
// reports false when the namespace is too large to cache; the caller then
// searches in SQL.
func (r *graphRead) cachedSearch(ctx context.Context, q string, limit int) ([]string, bool, error) {
	s, ns := r.s, r.ns
	if !r.read {
		// Prepared once: a question routed to the graph reads it for
		// every one of its searches, and parsing it anew cost more than
		// the rest of a search in the cache.
		st, err := s.stmts.get(ctx, graphVersionQuery)
		if err != nil {
			return nil, false, err
		}
		err = r.tx.StmtContext(ctx, st).QueryRowContext(ctx, ns).Scan(&r.version)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, false, err
		}
		r.read = true
	}
	version := r.version
	if names, ok := s.search.Find(ns, version, q, limit); ok {
		return names, true, nil
	}
	if s.search.Oversize(ns, version) {
		return nil, false, nil
	}
	rows, err := r.tx.QueryContext(ctx, `SELECT name, search FROM entities WHERE namespace = ? ORDER BY name`, ns)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var names, texts []string
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, false, err
		}
		names, texts = append(names, n), append(texts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if !s.search.Put(ns, version, names, texts) {
		return nil, false, nil
	}
	names, _ = s.search.Find(ns, version, q, limit)
	return names, true, nil
}

// entitiesNamed reads the named entities of ns, by name.
func entitiesNamed(ctx context.Context, tx *sql.Tx, ns string, names []string) ([]mimo.Entity, error) {
	if len(names) == 0 {
		return []mimo.Entity{}, nil
	}
	list, err := encodeStrings(names)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+entityCols+` FROM entities
		WHERE namespace = ? AND name IN (SELECT value FROM json_each(?)) ORDER BY name`, ns, list)
	if err != nil {
		return nil, err
	}
	return scanEntities(rows)
}

// OpenNodes returns the named entities of ns, by name (missing names are
// skipped), and the relations with at least one end among them.
func (s *Store) OpenNodes(ctx context.Context, ns string, names []string) (*mimo.Graph, error) {
	ns = memorykit.Namespace(ns)
	if len(names) == 0 {
		return graphkit.Empty(), nil
	}
	list, err := encodeStrings(graphkit.Unique(names))
	if err != nil {
		return nil, err
	}
	var g *mimo.Graph
	err = s.readTx(ctx, "sqlite: open nodes", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+entityCols+` FROM entities
			WHERE namespace = ? AND name IN (SELECT value FROM json_each(?)) ORDER BY name`, ns, list)
		if err != nil {
			return err
		}
		es, err := scanEntities(rows)
		if err != nil {
			return err
		}
		g, err = withRelationsTouching(ctx, tx, ns, es)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// readTx runs fn in one read transaction on the read pool. A deferred
// BEGIN takes its WAL snapshot at the first read, and every later read of
// fn sees that same snapshot.
func (s *Store) readTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(ctx, err, what)
	}
	defer func() { _ = tx.Rollback() }() // read only: nothing to commit
	if err := fn(tx); err != nil {
		return dbErr(ctx, err, what)
	}
	return nil
}

// withRelationsTouching returns a graph of es and the relations of ns with
// at least one end among es, as the official server answers open_nodes and
// search_nodes, so a caller sees the connections of what it found.
func withRelationsTouching(ctx context.Context, tx *sql.Tx, ns string, es []mimo.Entity) (*mimo.Graph, error) {
	g := graphkit.Empty()
	g.Entities = es
	if len(es) == 0 {
		return g, nil
	}
	list, err := encodeStrings(graphkit.Names(es))
	if err != nil {
		return nil, err
	}
	// Each end is matched by its own index (the primary key for from,
	// relations_to for to), in two queries: as one (OR, or UNION) SQLite
	// takes three times as long. Each reads one more than the bound, in
	// order, so the first MaxGraphRelations of both together are there.
	// The + keeps SQLite from walking the primary key in ORDER BY's order
	// and filtering every relation of the namespace: it sorts the few
	// rows found instead (5.8 → 3.3 ms for 100 entities, 480 relations).
	from, err := queryRelations(ctx, tx, `SELECT `+relationCols+` FROM relations
		WHERE namespace = ?1 AND from_name IN (SELECT value FROM json_each(?2))
		ORDER BY +from_name, +to_name, +relation_type LIMIT ?3`, ns, list, mimo.MaxGraphRelations+1)
	if err != nil {
		return nil, err
	}
	to, err := queryRelations(ctx, tx, `SELECT `+relationCols+` FROM relations
		WHERE namespace = ?1 AND to_name IN (SELECT value FROM json_each(?2))
		ORDER BY +from_name, +to_name, +relation_type LIMIT ?3`, ns, list, mimo.MaxGraphRelations+1)
	if err != nil {
		return nil, err
	}
	graphkit.Touching(g, append(from, to...))
	return g, nil
}

const relationCols = `from_name, to_name, relation_type`

func queryRelations(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]mimo.Relation, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []mimo.Relation{}
	for rows.Next() {
		var r mimo.Relation
		if err := rows.Scan(&r.From, &r.To, &r.RelationType); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// encodeStrings is ss as a JSON array: how observations are stored, and
// how a list of names is bound for json_each (one parameter, whatever the
// list's length).
func encodeStrings(ss []string) (string, error) {
	if ss == nil {
		ss = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ss); err != nil {
		return "", mimo.Wrap(mimo.EINTERNAL, err, "sqlite: encode strings")
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func decodeStrings(s string) ([]string, error) {
	out := []string{}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: stored observations are not a JSON array of strings")
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
