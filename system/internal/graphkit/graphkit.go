// Package graphkit holds what both stores' mimo.GraphStore implementations
// share, so they cannot drift apart: the search text SearchNodes matches,
// the order of entities and relations, limits, cursors, and the rules for
// adding and removing observations.
package graphkit

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"

	"mimo/system"
)

// SearchText is the text SearchNodes matches an entity by: its name, type
// and observations, lower-cased with strings.ToLower (which folds every
// script, unlike SQLite's lower() and LIKE), one per line. Stores keep it
// in a column written at every change and match it with Query.
func SearchText(name, entityType string, obs []string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(name))
	b.WriteByte('\n')
	b.WriteString(strings.ToLower(entityType))
	for _, o := range obs {
		b.WriteByte('\n')
		b.WriteString(strings.ToLower(o))
	}
	return b.String()
}

// Query returns what a store looks for in SearchText for query, with
// found false when query is empty or blank (it matches nothing). When
// exact is false the query holds a newline, so a match in SearchText may
// straddle two fields: the store must then confirm each candidate with
// Contains, before applying its limit.
func Query(query string) (q string, exact, found bool) {
	if strings.TrimSpace(query) == "" {
		return "", true, false
	}
	q = strings.ToLower(query)
	return q, !strings.Contains(q, "\n"), true
}

// Contains reports whether e's name, type or one of its observations,
// lower-cased, contains q (a lower-cased query, from Query).
func Contains(e mimo.Entity, q string) bool {
	if strings.Contains(strings.ToLower(e.Name), q) || strings.Contains(strings.ToLower(e.EntityType), q) {
		return true
	}
	return slices.ContainsFunc(e.Observations, func(o string) bool { return strings.Contains(strings.ToLower(o), q) })
}

// Limit applies the paging rules of ReadGraph and SearchNodes: 0 or less
// means DefaultGraphLimit, more than MaxGraphLimit is cut to it.
func Limit(limit int) int {
	if limit <= 0 {
		return mimo.DefaultGraphLimit
	}
	return min(limit, mimo.MaxGraphLimit)
}

// A cursor is the name of the last entity of a page after a version
// prefix, base64url-encoded so clients treat it as opaque.
const cursorPrefix = "g1:"

// EncodeCursor returns the cursor of the page that ends with name.
func EncodeCursor(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + name))
}

// DecodeCursor returns the name a cursor holds, "" for no cursor. A cursor
// EncodeCursor did not make is EINVALID.
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	bad := mimo.Errorf(mimo.EINVALID, "cursor: not a cursor from a previous page")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", bad
	}
	name, ok := strings.CutPrefix(string(raw), cursorPrefix)
	// A NUL or invalid UTF-8 could not be a name, and Postgres would
	// refuse it as a parameter.
	if !ok || name == "" || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
		return "", bad
	}
	return name, nil
}

// Empty returns a graph with no entities and no relations (non-nil
// slices).
func Empty() *mimo.Graph {
	return &mimo.Graph{Entities: []mimo.Entity{}, Relations: []mimo.Relation{}}
}

// NotFound is the error for a missing entity.
func NotFound(name string) error {
	const limit = 64
	if len(name) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return mimo.Errorf(mimo.ENOTFOUND, "entity %q not found", name)
}

// Names returns the names of es, in order.
func Names(es []mimo.Entity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

// Unique returns ss without repeats, first occurrence kept, never nil.
func Unique(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// UniqueEntities returns es with each name once (the first wins) and each
// entity's observations once each, in order, never nil.
func UniqueEntities(es []mimo.Entity) []mimo.Entity {
	seen := make(map[string]bool, len(es))
	out := make([]mimo.Entity, 0, len(es))
	for _, e := range es {
		if seen[e.Name] {
			continue
		}
		seen[e.Name] = true
		out = append(out, mimo.Entity{Name: e.Name, EntityType: e.EntityType, Observations: Unique(e.Observations)})
	}
	return out
}

// Kept returns the items of asked that are in gone, each once, in the
// order asked: what a store deleted, in the order it was asked, whatever
// order the database reported it in (never nil).
func Kept[T comparable](asked, gone []T) []T {
	in := make(map[T]bool, len(gone))
	for _, x := range gone {
		in[x] = true
	}
	out := make([]T, 0, len(gone))
	for _, x := range asked {
		if in[x] {
			out = append(out, x)
			delete(in, x)
		}
	}
	return out
}

// UniqueRelations returns rs without repeats, first occurrence kept.
func UniqueRelations(rs []mimo.Relation) []mimo.Relation {
	seen := make(map[mimo.Relation]bool, len(rs))
	out := make([]mimo.Relation, 0, len(rs))
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// Ends returns the names rs refer to, in input order (From before To),
// each once.
func Ends(rs []mimo.Relation) []string {
	ends := make([]string, 0, 2*len(rs))
	for _, r := range rs {
		ends = append(ends, r.From, r.To)
	}
	return Unique(ends)
}

// SortEntities orders es by name, comparing bytes: the order of SQLite's
// BINARY collation and Postgres's "C" collation, which the stores' name
// columns use.
func SortEntities(es []mimo.Entity) {
	slices.SortFunc(es, func(a, b mimo.Entity) int { return strings.Compare(a.Name, b.Name) })
}

// Touching sets g's relations to rs, the relations with an end among g's
// entities as a store read them (each side at most MaxGraphRelations+1, in
// order), each once, in order, and at most MaxGraphRelations of them,
// noting when there were more.
func Touching(g *mimo.Graph, rs []mimo.Relation) {
	rs = UniqueRelations(rs)
	SortRelations(rs)
	if len(rs) > mimo.MaxGraphRelations {
		rs = rs[:mimo.MaxGraphRelations]
		g.RelationsTruncated = true
	}
	g.Relations = rs
}

// SortRelations orders rs by (From, To, RelationType), comparing bytes.
func SortRelations(rs []mimo.Relation) {
	slices.SortFunc(rs, func(a, b mimo.Relation) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To),
			strings.Compare(a.RelationType, b.RelationType))
	})
}

// State is an entity whose observations one call changes.
type State struct {
	Entity  mimo.Entity
	Changed bool // observations were added or removed
	has     map[string]bool
}

// NewState starts changing e, which the State now owns.
func NewState(e mimo.Entity) *State {
	has := make(map[string]bool, len(e.Observations))
	for _, o := range e.Observations {
		has[o] = true
	}
	if e.Observations == nil {
		e.Observations = []string{}
	}
	return &State{Entity: e, has: has}
}

// Add appends the contents the entity does not hold yet, each once, and
// returns them (never nil).
func (st *State) Add(contents []string) []string {
	added := []string{}
	for _, c := range contents {
		if st.has[c] {
			continue
		}
		st.has[c] = true
		st.Entity.Observations = append(st.Entity.Observations, c)
		added = append(added, c)
		st.Changed = true
	}
	return added
}

// Remove drops the given observations, the others keeping their order,
// and returns those the entity held, each once, in the order given (never
// nil).
func (st *State) Remove(obs []string) []string {
	removed := []string{}
	drop := map[string]bool{}
	for _, o := range obs {
		if st.has[o] {
			drop[o] = true
			delete(st.has, o)
			removed = append(removed, o)
		}
	}
	if len(drop) == 0 {
		return removed
	}
	st.Entity.Observations = slices.DeleteFunc(st.Entity.Observations, func(o string) bool { return drop[o] })
	st.Changed = true
	return removed
}

// Removals applies dels to states (the entities that exist, by name) and
// returns, per item of dels, what it removed: what DeleteObservations
// answers. A missing entity removes nothing.
func Removals(states map[string]*State, dels []mimo.ObservationDelete) []mimo.ObservationDelete {
	out := make([]mimo.ObservationDelete, len(dels))
	for i, d := range dels {
		out[i] = mimo.ObservationDelete{EntityName: d.EntityName, Observations: []string{}}
		if st := states[d.EntityName]; st != nil {
			out[i].Observations = st.Remove(d.Observations)
		}
	}
	return out
}

// SearchText is SearchText of the entity as it now stands.
func (st *State) SearchText() string {
	return SearchText(st.Entity.Name, st.Entity.EntityType, st.Entity.Observations)
}
