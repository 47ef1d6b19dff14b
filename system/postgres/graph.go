package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/graphkit"
	"mimo/system/internal/memorykit"
)

// The knowledge graph's writes (mimo.GraphStore). Each call is one
// transaction (inTx: retried after a deadlock), so it applies fully or not
// at all. Relations go with their ends through the foreign keys of
// migration 00003. The graph is not in the change log: that log feeds
// replicas' vector indexes of memories, and graph reads always go to the
// database.

var _ mimo.GraphStore = (*Store)(nil)

// CreateEntities creates each entity whose name namespace does not hold
// yet, as mimo.GraphStore documents, and returns those it created ordered
// by name, each with its observations once each in input order. A name
// another transaction creates at the same time is skipped, not an error.
func (s *Store) CreateEntities(ctx context.Context, namespace string, es []mimo.Entity) ([]mimo.Entity, error) {
	namespace = memorykit.Namespace(namespace)
	todo := graphkit.UniqueEntities(es)
	now := memorykit.Time(time.Now())
	var out []mimo.Entity
	err := s.inTx(ctx, "create entities", func(ctx context.Context, tx pgx.Tx) error {
		out = []mimo.Entity{}
		if len(todo) == 0 {
			return nil
		}
		// One round trip for the whole list.
		b := &pgx.Batch{}
		for _, e := range todo {
			b.Queue(`INSERT INTO entities (namespace, name, entity_type, observations, search, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING`,
				namespace, e.Name, e.EntityType, e.Observations, graphkit.SearchText(e.Name, e.EntityType, e.Observations), now)
		}
		br := tx.SendBatch(ctx, b)
		for _, e := range todo {
			tag, err := br.Exec()
			if err != nil {
				_ = br.Close()
				return err
			}
			if tag.RowsAffected() == 1 {
				out = append(out, e)
			}
		}
		return br.Close()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateRelations creates each relation namespace does not hold yet and
// returns those it created, ordered. An end that is not an entity of
// namespace is ENOTFOUND, naming the first such end in input order, and
// nothing is created. The ends are locked (FOR KEY SHARE) until the
// commit, so a concurrent DeleteEntities cannot remove one in between.
func (s *Store) CreateRelations(ctx context.Context, namespace string, rs []mimo.Relation) ([]mimo.Relation, error) {
	namespace = memorykit.Namespace(namespace)
	todo := graphkit.UniqueRelations(rs)
	ends := graphkit.Ends(rs)
	from, to, typ := relationColumns(todo)
	var out []mimo.Relation
	err := s.inTx(ctx, "create relations", func(ctx context.Context, tx pgx.Tx) error {
		out = []mimo.Relation{}
		if len(todo) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT name FROM entities WHERE namespace = $1 AND name = ANY($2)
			ORDER BY name FOR KEY SHARE`, namespace, ends)
		if err != nil {
			return err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		existing := make(map[string]bool, len(found))
		for _, n := range found {
			existing[n] = true
		}
		for _, n := range ends {
			if !existing[n] {
				return graphkit.NotFound(n)
			}
		}
		rows, err = tx.Query(ctx, `INSERT INTO relations (namespace, from_name, to_name, relation_type)
			SELECT $1, r.f, r.t, r.ty FROM unnest($2::text[], $3::text[], $4::text[]) AS r(f, t, ty)
			ON CONFLICT DO NOTHING
			RETURNING from_name, to_name, relation_type`, namespace, from, to, typ)
		if err != nil {
			return err
		}
		out, err = collectRelations(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	graphkit.SortRelations(out)
	return out, nil
}

// AddObservations appends to each named entity the contents it does not
// hold yet. It returns one ObservationAdd per input item, in input order,
// with what that item added (a content repeated in the item, or added by
// an earlier item, is added once). A missing entity is ENOTFOUND, naming
// the first in input order, and nothing is added.
func (s *Store) AddObservations(ctx context.Context, namespace string, adds []mimo.ObservationAdd) ([]mimo.ObservationAdd, error) {
	namespace = memorykit.Namespace(namespace)
	names := make([]string, len(adds))
	for i, a := range adds {
		names[i] = a.EntityName
	}
	var out []mimo.ObservationAdd
	err := s.inTx(ctx, "add observations", func(ctx context.Context, tx pgx.Tx) error {
		out = make([]mimo.ObservationAdd, 0, len(adds))
		if len(adds) == 0 {
			return nil
		}
		states, err := lockEntities(ctx, tx, namespace, names)
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
		return saveStates(ctx, tx, namespace, states)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteEntities deletes the named entities of namespace; the foreign keys
// delete every relation from or to them. It returns the names it deleted;
// missing ones are ignored.
func (s *Store) DeleteEntities(ctx context.Context, namespace string, names []string) ([]string, error) {
	if len(names) == 0 {
		return []string{}, nil
	}
	namespace = memorykit.Namespace(namespace)
	var deleted []string
	err := s.inTx(ctx, "delete entities", func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM entities WHERE namespace = $1 AND name = ANY($2) RETURNING name`, namespace, names)
		if err != nil {
			return err
		}
		gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		deleted = graphkit.Kept(names, gone)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// DeleteObservations removes every occurrence of the given observations
// from the named entities and returns, per item, what it removed. Missing
// entities and observations are ignored.
func (s *Store) DeleteObservations(ctx context.Context, namespace string, dels []mimo.ObservationDelete) ([]mimo.ObservationDelete, error) {
	if len(dels) == 0 {
		return []mimo.ObservationDelete{}, nil
	}
	namespace = memorykit.Namespace(namespace)
	names := make([]string, len(dels))
	for i, d := range dels {
		names[i] = d.EntityName
	}
	var removed []mimo.ObservationDelete
	err := s.inTx(ctx, "delete observations", func(ctx context.Context, tx pgx.Tx) error {
		states, err := lockEntities(ctx, tx, namespace, names)
		if err != nil {
			return err
		}
		removed = graphkit.Removals(states, dels)
		return saveStates(ctx, tx, namespace, states)
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// DeleteRelations deletes the given relations of namespace and returns
// those it deleted. Missing ones are ignored.
func (s *Store) DeleteRelations(ctx context.Context, namespace string, rs []mimo.Relation) ([]mimo.Relation, error) {
	if len(rs) == 0 {
		return []mimo.Relation{}, nil
	}
	namespace = memorykit.Namespace(namespace)
	from, to, typ := relationColumns(rs)
	var deleted []mimo.Relation
	err := s.inTx(ctx, "delete relations", func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM relations r
			USING unnest($2::text[], $3::text[], $4::text[]) AS d(f, t, ty)
			WHERE r.namespace = $1 AND r.from_name = d.f AND r.to_name = d.t AND r.relation_type = d.ty
			RETURNING r.from_name, r.to_name, r.relation_type`,
			namespace, from, to, typ)
		if err != nil {
			return err
		}
		gone, err := collectRelations(rows)
		if err != nil {
			return err
		}
		deleted = graphkit.Kept(rs, gone)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// lockEntities loads the named entities of namespace that exist, by name,
// locked until the commit, so concurrent changes to one entity's
// observations apply one after the other. Rows are locked in name order,
// so two calls cannot deadlock over them. NO KEY UPDATE: the name does not
// change, so CreateRelations' KEY SHARE locks on the same rows need not
// wait.
func lockEntities(ctx context.Context, tx pgx.Tx, namespace string, names []string) (map[string]*graphkit.State, error) {
	rows, err := tx.Query(ctx, `SELECT `+entityColumns+` FROM entities
		WHERE namespace = $1 AND name = ANY($2) ORDER BY name FOR NO KEY UPDATE`, namespace, graphkit.Unique(names))
	if err != nil {
		return nil, err
	}
	es, err := collectEntities(rows)
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
// new search text and updated_at, in one round trip.
func saveStates(ctx context.Context, tx pgx.Tx, namespace string, states map[string]*graphkit.State) error {
	now := memorykit.Time(time.Now())
	b := &pgx.Batch{}
	for _, st := range states {
		if st.Changed {
			b.Queue(`UPDATE entities SET observations = $3, search = $4, updated_at = $5 WHERE namespace = $1 AND name = $2`,
				namespace, st.Entity.Name, st.Entity.Observations, st.SearchText(), now)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// relationColumns splits rs into the three arrays unnest takes.
func relationColumns(rs []mimo.Relation) (from, to, typ []string) {
	from, to, typ = make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		from[i], to[i], typ[i] = r.From, r.To, r.RelationType
	}
	return from, to, typ
}

// entityColumns selects an entity in the order collectEntities reads it.
const entityColumns = `name, entity_type, observations`

// collectEntities reads rows of entityColumns, with non-nil observations.
func collectEntities(rows pgx.Rows) ([]mimo.Entity, error) {
	out := []mimo.Entity{}
	var e mimo.Entity
	_, err := pgx.ForEachRow(rows, []any{&e.Name, &e.EntityType, &e.Observations}, func() error {
		// A copy: the next row may be scanned into the same array.
		obs := append(make([]string, 0, len(e.Observations)), e.Observations...)
		out = append(out, mimo.Entity{Name: e.Name, EntityType: e.EntityType, Observations: obs})
		return nil
	})
	return out, err
}

// collectRelations reads rows of (from_name, to_name, relation_type).
func collectRelations(rows pgx.Rows) ([]mimo.Relation, error) {
	out := []mimo.Relation{}
	var r mimo.Relation
	_, err := pgx.ForEachRow(rows, []any{&r.From, &r.To, &r.RelationType}, func() error {
		out = append(out, r)
		return nil
	})
	return out, err
}
