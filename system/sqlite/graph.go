package sqlite

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"

	"mimo/system"
	"mimo/system/internal/graphkit"
	"mimo/system/internal/memorykit"
)

// The knowledge graph's writes (mimo.GraphStore). Each call is one
// IMMEDIATE transaction on the writer connection, so it applies fully or
// not at all. Relations go with their ends through the foreign keys of
// migration 00004 (every connection enables them). The graph is not in the
// change log: that log feeds other processes' vector indexes of memories,
// and graph reads always go to the database.

var _ mimo.GraphStore = (*Store)(nil)

// CreateEntities creates each entity whose name ns does not hold yet, as
// mimo.GraphStore documents, and returns those it created in input order,
// each with its observations once each in input order.
func (s *Store) CreateEntities(ctx context.Context, ns string, es []mimo.Entity) ([]mimo.Entity, error) {
	ns = memorykit.Namespace(ns)
	var out []mimo.Entity
	now := micros(time.Now())
	err := s.write(ctx, "sqlite: create entities", func(w *wtx) error {
		out = []mimo.Entity{}
		for _, e := range graphkit.UniqueEntities(es) {
			enc, err := encodeStrings(e.Observations)
			if err != nil {
				return err
			}
			res, err := w.exec(`INSERT INTO entities (namespace, name, entity_type, created_at, updated_at, observations, search)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				ns, e.Name, e.EntityType, now, now, enc, graphkit.SearchText(e.Name, e.EntityType, e.Observations))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return w.bumpGraph(ns)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateRelations creates each relation ns does not hold yet and returns
// those it created, ordered. An end that is not an entity of ns is
// ENOTFOUND, naming the first such end in input order, and nothing is
// created.
func (s *Store) CreateRelations(ctx context.Context, ns string, rs []mimo.Relation) ([]mimo.Relation, error) {
	ns = memorykit.Namespace(ns)
	var out []mimo.Relation
	err := s.write(ctx, "sqlite: create relations", func(w *wtx) error {
		out = []mimo.Relation{}
		ends := graphkit.Ends(rs)
		existing, err := w.names(ns, ends)
		if err != nil {
			return err
		}
		for _, name := range ends {
			if !existing[name] {
				return graphkit.NotFound(name)
			}
		}
		for _, r := range graphkit.UniqueRelations(rs) {
			res, err := w.exec(`INSERT INTO relations (namespace, from_name, to_name, relation_type)
				VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, ns, r.From, r.To, r.RelationType)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	graphkit.SortRelations(out)
	return out, nil
}

// AddObservations appends to each named entity the contents it does not
// hold yet. It returns one ObservationAdd per input item, in input order,
// with what that item added (a content repeated in the item, or already
// added by an earlier item, is added once). A missing entity is ENOTFOUND,
// naming the first in input order, and nothing is added.
func (s *Store) AddObservations(ctx context.Context, ns string, adds []mimo.ObservationAdd) ([]mimo.ObservationAdd, error) {
	ns = memorykit.Namespace(ns)
	var out []mimo.ObservationAdd
	now := micros(time.Now())
	err := s.write(ctx, "sqlite: add observations", func(w *wtx) error {
		out = make([]mimo.ObservationAdd, 0, len(adds))
		names := make([]string, len(adds))
		for i, a := range adds {
			names[i] = a.EntityName
		}
		states, err := w.entityStates(ns, names)
		if err != nil {
			return err
		}
		for _, a := range adds {
			if states[a.EntityName] == nil {
				return graphkit.NotFound(a.EntityName)
			}
		}
		for _, a := range adds {
			out = append(out, mimo.ObservationAdd{EntityName: a.EntityName, Contents: states[a.EntityName].Add(a.Contents)})
		}
		return w.saveStates(ns, states, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteEntities deletes the named entities of ns; the foreign keys delete
// every relation from or to them. It returns the names it deleted;
// missing ones are ignored.
func (s *Store) DeleteEntities(ctx context.Context, ns string, names []string) ([]string, error) {
	if len(names) == 0 {
		return []string{}, nil
	}
	ns = memorykit.Namespace(ns)
	list, err := encodeStrings(names)
	if err != nil {
		return nil, err
	}
	var deleted []string
	err = s.write(ctx, "sqlite: delete entities", func(w *wtx) error {
		rows, err := w.query(`DELETE FROM entities WHERE namespace = ? AND name IN (SELECT value FROM json_each(?)) RETURNING name`, ns, list)
		if err != nil {
			return err
		}
		gone, err := scanNames(rows)
		if err != nil {
			return err
		}
		deleted = graphkit.Kept(names, gone)
		return w.bumpGraph(ns)
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// scanNames reads a column of names, closing rows.
func scanNames(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// DeleteObservations removes every occurrence of the given observations
// from the named entities and returns, per item, what it removed. Missing
// entities and observations are ignored.
func (s *Store) DeleteObservations(ctx context.Context, ns string, dels []mimo.ObservationDelete) ([]mimo.ObservationDelete, error) {
	if len(dels) == 0 {
		return []mimo.ObservationDelete{}, nil
	}
	ns = memorykit.Namespace(ns)
	now := micros(time.Now())
	var removed []mimo.ObservationDelete
	err := s.write(ctx, "sqlite: delete observations", func(w *wtx) error {
		names := make([]string, len(dels))
		for i, d := range dels {
			names[i] = d.EntityName
		}
		states, err := w.entityStates(ns, names)
		if err != nil {
			return err
		}
		removed = graphkit.Removals(states, dels)
		return w.saveStates(ns, states, now)
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// DeleteRelations deletes the given relations of ns and returns those it
// deleted. Missing ones are ignored.
func (s *Store) DeleteRelations(ctx context.Context, ns string, rs []mimo.Relation) ([]mimo.Relation, error) {
	if len(rs) == 0 {
		return []mimo.Relation{}, nil
	}
	ns = memorykit.Namespace(ns)
	var deleted []mimo.Relation
	err := s.write(ctx, "sqlite: delete relations", func(w *wtx) error {
		var gone []mimo.Relation
		for _, r := range rs {
			res, err := w.exec(`DELETE FROM relations WHERE namespace = ? AND from_name = ? AND to_name = ? AND relation_type = ?`,
				ns, r.From, r.To, r.RelationType)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				gone = append(gone, r)
			}
		}
		deleted = graphkit.Kept(rs, gone)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// bumpGraph gives ns's entities a new version (migration 00005), so that
// every cached copy of their search text is stale.
func (w *wtx) bumpGraph(ns string) error {
	_, err := w.exec(`INSERT INTO graph_versions (namespace, version) VALUES (?, ?)
		ON CONFLICT (namespace) DO UPDATE SET version = excluded.version`, ns, rand.Int64())
	return err
}

// names returns which of names are entities of ns.
func (w *wtx) names(ns string, names []string) (map[string]bool, error) {
	found := map[string]bool{}
	if len(names) == 0 {
		return found, nil
	}
	list, err := encodeStrings(graphkit.Unique(names))
	if err != nil {
		return nil, err
	}
	rows, err := w.query(`SELECT name FROM entities WHERE namespace = ? AND name IN (SELECT value FROM json_each(?))`, ns, list)
	if err != nil {
		return nil, err
	}
	have, err := scanNames(rows)
	for _, n := range have {
		found[n] = true
	}
	return found, err
}

// entityStates loads the named entities of ns that exist, by name, for
// changing their observations.
func (w *wtx) entityStates(ns string, names []string) (map[string]*graphkit.State, error) {
	list, err := encodeStrings(graphkit.Unique(names))
	if err != nil {
		return nil, err
	}
	rows, err := w.query(`SELECT `+entityCols+` FROM entities WHERE namespace = ? AND name IN (SELECT value FROM json_each(?))`, ns, list)
	if err != nil {
		return nil, err
	}
	es, err := scanEntities(rows)
	if err != nil {
		return nil, err
	}
	states := make(map[string]*graphkit.State, len(es))
	for _, e := range es {
		states[e.Name] = graphkit.NewState(e)
	}
	return states, nil
}

// saveStates writes back the entities whose observations changed, with a
// new search text and updated_at.
func (w *wtx) saveStates(ns string, states map[string]*graphkit.State, now int64) error {
	changed := false
	for _, st := range states {
		if !st.Changed {
			continue
		}
		changed = true
		enc, err := encodeStrings(st.Entity.Observations)
		if err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE entities SET observations = ?, search = ?, updated_at = ? WHERE namespace = ? AND name = ?`,
			enc, st.SearchText(), now, ns, st.Entity.Name); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	return w.bumpGraph(ns)
}

// scanEntities reads rows of entityCols and closes them.
func scanEntities(rows *sql.Rows) ([]mimo.Entity, error) {
	defer rows.Close()
	out := []mimo.Entity{}
	for rows.Next() {
		var e mimo.Entity
		var obs string
		if err := rows.Scan(&e.Name, &e.EntityType, &obs); err != nil {
			return nil, err
		}
		var err error
		if e.Observations, err = decodeStrings(obs); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// entityCols are the columns scanEntities reads.
const entityCols = `name, entity_type, observations`
