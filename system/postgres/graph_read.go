package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/graphkit"
	"mimo/system/internal/memorykit"
)

// The knowledge graph's reads. Each runs in one repeatable-read, read-only
// transaction, so its entities and relations come from one snapshot.
// Names compare with the "C" collation (see migration 00003), so ORDER BY
// name and name > cursor follow byte order, as Go and SQLite do.

// ReadGraph returns one page of namespace's graph: up to limit entities by
// name after cursor, and the relations from them.
func (s *Store) ReadGraph(ctx context.Context, namespace, cursor string, limit int) (*mimo.Graph, error) {
	namespace = memorykit.Namespace(namespace)
	limit = graphkit.Limit(limit)
	after, err := graphkit.DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	var g *mimo.Graph
	err = s.readGraphTx(ctx, "read graph", func(ctx context.Context, tx pgx.Tx) error {
		g = graphkit.Empty()
		// One more than the page tells whether another page follows. Names
		// are never empty, so "" is before every name.
		rows, err := tx.Query(ctx, `SELECT `+entityColumns+` FROM entities
			WHERE namespace = $1 AND name > $2 ORDER BY name LIMIT $3`, namespace, after, limit+1)
		if err != nil {
			return err
		}
		es, err := collectEntities(rows)
		if err != nil {
			return err
		}
		if len(es) > limit {
			es = es[:limit]
			g.NextCursor = graphkit.EncodeCursor(es[limit-1].Name)
		}
		g.Entities = es
		if len(es) == 0 {
			return nil
		}
		rows, err = tx.Query(ctx, `SELECT from_name, to_name, relation_type FROM relations
			WHERE namespace = $1 AND from_name = ANY($2)
			ORDER BY from_name, to_name, relation_type`, namespace, graphkit.Names(es))
		if err != nil {
			return err
		}
		g.Relations, err = collectRelations(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// SearchNodes returns up to limit entities of namespace, by name, whose
// name, type or an observation contains query ignoring case, and the
// relations with at least one end among them. A query that is empty or
// only spaces matches nothing. strpos takes the query as plain text: no
// pattern characters.
func (s *Store) SearchNodes(ctx context.Context, namespace, query string, limit int) (*mimo.Graph, error) {
	namespace = memorykit.Namespace(namespace)
	limit = graphkit.Limit(limit)
	q, exact, ok := graphkit.Query(query)
	if !ok {
		return graphkit.Empty(), nil
	}
	if err := memorykit.CheckText("query", q); err != nil {
		return nil, err
	}
	var g *mimo.Graph
	err := s.readGraphTx(ctx, "search nodes", func(ctx context.Context, tx pgx.Tx) error {
		es, err := searchEntities(ctx, tx, namespace, q, exact, limit)
		if err != nil {
			return err
		}
		g, err = withRelationsTouching(ctx, tx, namespace, es)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// FindEntities returns, for each query, the entities SearchNodes would
// return for it (without their relations): a question's graph retrieval
// looks up several of its words at once. All are read by one statement,
// so from one snapshot and in one round trip; a transaction around one
// query a word cost a question five round trips.
func (s *Store) FindEntities(ctx context.Context, namespace string, queries []string, limit int) ([][]mimo.Entity, error) {
	namespace = memorykit.Namespace(namespace)
	limit = graphkit.Limit(limit)
	out := make([][]mimo.Entity, len(queries))
	var texts []string
	var exacts []bool
	var at []int // the place in queries of each of texts
	for i, raw := range queries {
		out[i] = []mimo.Entity{}
		q, exact, ok := graphkit.Query(raw)
		if !ok {
			continue
		}
		if err := memorykit.CheckText("query", q); err != nil {
			return nil, err
		}
		texts, exacts, at = append(texts, q), append(exacts, exact), append(at, i)
	}
	if len(texts) == 0 {
		return out, nil
	}
	err := s.read(ctx, "find entities", func(ctx context.Context) error {
		// An exact query is limited in SQL; the others read every
		// candidate (LIMIT NULL), checked below, as searchEntities does.
		rows, err := s.pool.Query(ctx, `SELECT q.ord, e.name, e.entity_type, e.observations
			FROM unnest($2::text[], $3::bool[]) WITH ORDINALITY AS q(text, exact, ord)
			CROSS JOIN LATERAL (SELECT `+entityColumns+` FROM entities
				WHERE namespace = $1 AND strpos(search, q.text) > 0
				ORDER BY name LIMIT CASE WHEN q.exact THEN $4::int END) e
			ORDER BY q.ord, e.name`, namespace, texts, exacts, limit)
		if err != nil {
			return err
		}
		for i := range at {
			out[at[i]] = []mimo.Entity{}
		}
		var (
			ord int
			e   mimo.Entity
		)
		_, err = pgx.ForEachRow(rows, []any{&ord, &e.Name, &e.EntityType, &e.Observations}, func() error {
			i := ord - 1
			if i < 0 || i >= len(at) {
				return fmt.Errorf("find entities: row of query %d of %d", ord, len(at))
			}
			if !exacts[i] && !graphkit.Contains(e, texts[i]) || len(out[at[i]]) >= limit {
				return nil
			}
			// A copy: the next row may be scanned into the same array.
			obs := append(make([]string, 0, len(e.Observations)), e.Observations...)
			out[at[i]] = append(out[at[i]], mimo.Entity{Name: e.Name, EntityType: e.EntityType, Observations: obs})
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var _ mimo.EntityFinder = (*Store)(nil)

// searchEntities returns up to limit entities of namespace, by name, whose
// search text contains q, a query folded by graphkit.Query (exact as it
// says).
func searchEntities(ctx context.Context, tx pgx.Tx, namespace, q string, exact bool, limit int) ([]mimo.Entity, error) {
	var sqlLimit any = limit
	if !exact {
		sqlLimit = nil // LIMIT NULL: no limit; candidates are checked below
	}
	rows, err := tx.Query(ctx, `SELECT `+entityColumns+` FROM entities
		WHERE namespace = $1 AND strpos(search, $2) > 0 ORDER BY name LIMIT $3`, namespace, q, sqlLimit)
	if err != nil {
		return nil, err
	}
	es, err := collectEntities(rows)
	if err != nil {
		return nil, err
	}
	if !exact {
		es = slices.DeleteFunc(es, func(e mimo.Entity) bool { return !graphkit.Contains(e, q) })
		es = es[:min(limit, len(es))]
	}
	return es, nil
}

// OpenNodes returns the named entities of namespace, by name (missing
// names are skipped), and the relations with at least one end among them.
func (s *Store) OpenNodes(ctx context.Context, namespace string, names []string) (*mimo.Graph, error) {
	namespace = memorykit.Namespace(namespace)
	if len(names) == 0 {
		return graphkit.Empty(), nil
	}
	var g *mimo.Graph
	err := s.readGraphTx(ctx, "open nodes", func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+entityColumns+` FROM entities
			WHERE namespace = $1 AND name = ANY($2) ORDER BY name`, namespace, graphkit.Unique(names))
		if err != nil {
			return err
		}
		es, err := collectEntities(rows)
		if err != nil {
			return err
		}
		g, err = withRelationsTouching(ctx, tx, namespace, es)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// readGraphTx runs fn in one repeatable-read, read-only transaction,
// bounded by the query timeout.
func (s *Store) readGraphTx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.read(ctx, op, func(ctx context.Context) error {
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		// Read only: ending it with a rollback loses nothing.
		defer func() { _ = tx.Rollback(ctx) }()
		return fn(ctx, tx)
	})
}

// withRelationsTouching returns a graph of es and the relations of
// namespace with at least one end among es, as the official server answers
// open_nodes and search_nodes, so a caller sees the connections of what it
// found.
func withRelationsTouching(ctx context.Context, tx pgx.Tx, namespace string, es []mimo.Entity) (*mimo.Graph, error) {
	g := graphkit.Empty()
	g.Entities = es
	if len(es) == 0 {
		return g, nil
	}
	// Each end is matched by its own index (the primary key for from,
	// relations_to for to); each side reads one more than the bound, in
	// order, so the first MaxGraphRelations of both together are there.
	rows, err := tx.Query(ctx, `(SELECT from_name, to_name, relation_type FROM relations
		WHERE namespace = $1 AND from_name = ANY($2) ORDER BY 1, 2, 3 LIMIT $3)
		UNION ALL
		(SELECT from_name, to_name, relation_type FROM relations
		WHERE namespace = $1 AND to_name = ANY($2) ORDER BY 1, 2, 3 LIMIT $3)`,
		namespace, graphkit.Names(es), mimo.MaxGraphRelations+1)
	if err != nil {
		return nil, err
	}
	rs, err := collectRelations(rows)
	if err != nil {
		return nil, err
	}
	graphkit.Touching(g, rs)
	return g, nil
}
