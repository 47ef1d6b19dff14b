package memory

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"mimo/system"
)

// The knowledge graph's service: validation here, storage in the
// mimo.GraphStore. Without a graph store (Options.Graph nil) every method
// is EUNAVAILABLE.

var _ mimo.GraphService = (*Service)(nil)

func (s *Service) graphStore() (mimo.GraphStore, error) {
	if s.graph == nil {
		return nil, mimo.Errorf(mimo.EUNAVAILABLE, "this store keeps no knowledge graph")
	}
	return s.graph, nil
}

// CreateEntities implements mimo.GraphService.
func (s *Service) CreateEntities(ctx context.Context, namespace string, es []mimo.Entity) ([]mimo.Entity, error) {
	g, ns, err := s.graphCall(namespace, "entities", len(es))
	if err != nil {
		return nil, err
	}
	clean := make([]mimo.Entity, len(es))
	for i, e := range es {
		field := fmt.Sprintf("entities[%d]", i)
		if err := validateName(field+".name", e.Name); err != nil {
			return nil, err
		}
		if err := validateName(field+".entityType", e.EntityType); err != nil {
			return nil, err
		}
		obs, err := validateObservations(field+".observations", e.Observations)
		if err != nil {
			return nil, err
		}
		clean[i] = mimo.Entity{Name: e.Name, EntityType: e.EntityType, Observations: obs}
	}
	return g.CreateEntities(ctx, ns, clean)
}

// CreateRelations implements mimo.GraphService.
func (s *Service) CreateRelations(ctx context.Context, namespace string, rs []mimo.Relation) ([]mimo.Relation, error) {
	g, ns, err := s.graphCall(namespace, "relations", len(rs))
	if err != nil {
		return nil, err
	}
	if err := validateRelations(rs); err != nil {
		return nil, err
	}
	return g.CreateRelations(ctx, ns, rs)
}

// AddObservations implements mimo.GraphService.
func (s *Service) AddObservations(ctx context.Context, namespace string, adds []mimo.ObservationAdd) ([]mimo.ObservationAdd, error) {
	g, ns, err := s.graphCall(namespace, "observations", len(adds))
	if err != nil {
		return nil, err
	}
	clean := make([]mimo.ObservationAdd, len(adds))
	for i, a := range adds {
		field := fmt.Sprintf("observations[%d]", i)
		if err := validateName(field+".entityName", a.EntityName); err != nil {
			return nil, err
		}
		obs, err := validateObservations(field+".contents", a.Contents)
		if err != nil {
			return nil, err
		}
		clean[i] = mimo.ObservationAdd{EntityName: a.EntityName, Contents: obs}
	}
	return g.AddObservations(ctx, ns, clean)
}

// DeleteEntities implements mimo.GraphService.
func (s *Service) DeleteEntities(ctx context.Context, namespace string, names []string) ([]string, error) {
	g, ns, err := s.graphCall(namespace, "entityNames", len(names))
	if err != nil {
		return nil, err
	}
	if err := validateNames("entityNames", names); err != nil {
		return nil, err
	}
	return g.DeleteEntities(ctx, ns, names)
}

// DeleteObservations implements mimo.GraphService.
func (s *Service) DeleteObservations(ctx context.Context, namespace string, dels []mimo.ObservationDelete) ([]mimo.ObservationDelete, error) {
	g, ns, err := s.graphCall(namespace, "deletions", len(dels))
	if err != nil {
		return nil, err
	}
	for i, d := range dels {
		field := fmt.Sprintf("deletions[%d]", i)
		if err := validateName(field+".entityName", d.EntityName); err != nil {
			return nil, err
		}
		if len(d.Observations) > mimo.MaxObservations {
			return nil, mimo.Errorf(mimo.EINVALID, "%s.observations: at most %d", field, mimo.MaxObservations)
		}
	}
	return g.DeleteObservations(ctx, ns, dels)
}

// DeleteRelations implements mimo.GraphService.
func (s *Service) DeleteRelations(ctx context.Context, namespace string, rs []mimo.Relation) ([]mimo.Relation, error) {
	g, ns, err := s.graphCall(namespace, "relations", len(rs))
	if err != nil {
		return nil, err
	}
	if err := validateRelations(rs); err != nil {
		return nil, err
	}
	return g.DeleteRelations(ctx, ns, rs)
}

// ReadGraph implements mimo.GraphService.
func (s *Service) ReadGraph(ctx context.Context, namespace, cursor string, limit int) (*mimo.Graph, error) {
	g, ns, err := s.graphCall(namespace, "", 0)
	if err != nil {
		return nil, err
	}
	if limit, err = validateLimit(limit, mimo.DefaultGraphLimit, mimo.MaxGraphLimit); err != nil {
		return nil, err
	}
	return g.ReadGraph(ctx, ns, cursor, limit)
}

// SearchNodes implements mimo.GraphService.
func (s *Service) SearchNodes(ctx context.Context, namespace, query string, limit int) (*mimo.Graph, error) {
	g, ns, err := s.graphCall(namespace, "", 0)
	if err != nil {
		return nil, err
	}
	if err := validateQuery(query); err != nil {
		return nil, err
	}
	if limit, err = validateLimit(limit, mimo.DefaultGraphLimit, mimo.MaxGraphLimit); err != nil {
		return nil, err
	}
	return g.SearchNodes(ctx, ns, query, limit)
}

// OpenNodes implements mimo.GraphService.
func (s *Service) OpenNodes(ctx context.Context, namespace string, names []string) (*mimo.Graph, error) {
	g, ns, err := s.graphCall(namespace, "names", len(names))
	if err != nil {
		return nil, err
	}
	if err := validateNames("names", names); err != nil {
		return nil, err
	}
	return g.OpenNodes(ctx, ns, names)
}

// graphCall checks what every graph call shares: a graph store, the
// namespace, and at most MaxGraphBatch items in the list named field.
func (s *Service) graphCall(namespace, field string, n int) (mimo.GraphStore, string, error) {
	g, err := s.graphStore()
	if err != nil {
		return nil, "", err
	}
	ns, err := normalizeNamespace(namespace)
	if err != nil {
		return nil, "", err
	}
	if n > mimo.MaxGraphBatch {
		return nil, "", mimo.Errorf(mimo.EINVALID, "%s: at most %d a call, got %d", field, mimo.MaxGraphBatch, n)
	}
	return g, ns, nil
}

// validateName checks an entity name, entity type or relation type: 1 to
// MaxEntityNameBytes of UTF-8, not blank, without control characters.
// Names are kept as given (not trimmed): they are keys an agent repeats.
func validateName(field, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return mimo.Errorf(mimo.EINVALID, "%s: must not be empty", field)
	case len(name) > mimo.MaxEntityNameBytes:
		return mimo.Errorf(mimo.EINVALID, "%s: at most %d bytes", field, mimo.MaxEntityNameBytes)
	case !utf8.ValidString(name):
		return mimo.Errorf(mimo.EINVALID, "%s: not valid UTF-8", field)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return mimo.Errorf(mimo.EINVALID, "%s: no control characters allowed", field)
	}
	return nil
}

func validateNames(field string, names []string) error {
	for i, n := range names {
		if err := validateName(fmt.Sprintf("%s[%d]", field, i), n); err != nil {
			return err
		}
	}
	return nil
}

func validateRelations(rs []mimo.Relation) error {
	for i, r := range rs {
		field := fmt.Sprintf("relations[%d]", i)
		if err := validateName(field+".from", r.From); err != nil {
			return err
		}
		if err := validateName(field+".to", r.To); err != nil {
			return err
		}
		if err := validateName(field+".relationType", r.RelationType); err != nil {
			return err
		}
	}
	return nil
}

// validateObservations checks each observation as memory content is
// checked (UTF-8, not blank, no NUL, at most MaxObservationBytes) and
// returns a non-nil slice.
func validateObservations(field string, obs []string) ([]string, error) {
	if len(obs) > mimo.MaxObservations {
		return nil, mimo.Errorf(mimo.EINVALID, "%s: at most %d", field, mimo.MaxObservations)
	}
	for i, o := range obs {
		if err := validateContent(fmt.Sprintf("%s[%d]", field, i), o); err != nil {
			return nil, err
		}
	}
	if obs == nil {
		obs = []string{}
	}
	return obs, nil
}
