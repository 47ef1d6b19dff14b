package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/graphkit"
	"mimo/system/internal/memorykit"
)

// The knowledge graph in a snapshot (format version 2): after the
// memories, one line per entity ordered by (namespace, name), then one per
// relation ordered by (namespace, from, to, type). Graph lines carry a
// "kind", which memory lines lack, so a reader tells them apart. The
// search column is not in the snapshot: it is derived, and restore
// computes it again.

const (
	kindEntity   = "entity"
	kindRelation = "relation"
)

type entityRecord struct {
	Kind         string    `json:"kind"`
	Namespace    string    `json:"namespace"`
	Name         string    `json:"name"`
	EntityType   string    `json:"entity_type"`
	Observations []string  `json:"observations"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

type relationRecord struct {
	Kind         string `json:"kind"`
	Namespace    string `json:"namespace"`
	From         string `json:"from"`
	To           string `json:"to"`
	RelationType string `json:"relation_type"`
}

// declareGraphCursors opens the cursors snapshotGraph reads, in the
// snapshot's transaction.
func declareGraphCursors(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `DECLARE backup_entities NO SCROLL CURSOR FOR
		SELECT namespace, name, entity_type, observations, created_at, updated_at
		FROM entities ORDER BY namespace, name`); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DECLARE backup_relations NO SCROLL CURSOR FOR
		SELECT namespace, from_name, to_name, relation_type
		FROM relations ORDER BY namespace, from_name, to_name, relation_type`)
	return err
}

// snapshotGraph writes every entity and relation after the memories, and
// checks the counts against the header.
func (s *Store) snapshotGraph(ctx context.Context, tx pgx.Tx, enc *json.Encoder, h backupHeader) error {
	n, err := s.dump(ctx, tx, enc, "backup_entities", func(rows pgx.Rows) ([]any, error) {
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (any, error) {
			r := entityRecord{Kind: kindEntity}
			err := row.Scan(&r.Namespace, &r.Name, &r.EntityType, &r.Observations, &r.CreatedAt, &r.UpdatedAt)
			if r.Observations == nil {
				r.Observations = []string{}
			}
			r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
			return r, err
		})
	})
	if err != nil {
		return err
	}
	if n != h.Entities {
		return mimo.Errorf(mimo.EINTERNAL, "backup read %d entities, expected %d", n, h.Entities)
	}
	n, err = s.dump(ctx, tx, enc, "backup_relations", func(rows pgx.Rows) ([]any, error) {
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (any, error) {
			r := relationRecord{Kind: kindRelation}
			err := row.Scan(&r.Namespace, &r.From, &r.To, &r.RelationType)
			return r, err
		})
	})
	if err != nil {
		return err
	}
	if n != h.Relations {
		return mimo.Errorf(mimo.EINTERNAL, "backup read %d relations, expected %d", n, h.Relations)
	}
	return nil
}

// dump FETCHes every row of the named cursor, backupFetchSize at a time
// and each fetch under the query timeout, and writes each record collect
// makes of them as one line. It returns how many it wrote.
func (s *Store) dump(ctx context.Context, tx pgx.Tx, enc *json.Encoder, cursor string,
	collect func(pgx.Rows) ([]any, error)) (int64, error) {
	var written int64
	for {
		var batch []any
		err := s.step(ctx, func(ctx context.Context) error {
			// cursor is one of this file's constant names, not input.
			rows, err := tx.Query(ctx, `FETCH `+fmt.Sprint(backupFetchSize)+` FROM `+cursor)
			if err != nil {
				return err
			}
			batch, err = collect(rows)
			return err
		})
		if err != nil {
			return written, s.mapError(err, "backup")
		}
		for _, r := range batch {
			if err := enc.Encode(r); err != nil {
				return written, mimo.Wrap(mimo.EINTERNAL, err, "cannot write the backup file")
			}
		}
		written += int64(len(batch))
		if len(batch) < backupFetchSize {
			return written, nil
		}
	}
}

// graphRecords are the graph lines of a snapshot being read.
type graphRecords struct {
	entities  []entityRecord
	relations []relationRecord
}

// add takes line if it is a graph line (isGraph), checking it. Lines
// without a kind are memories, for the caller.
func (g *graphRecords) add(line []byte, formatVersion int) (isGraph bool, err error) {
	var peek struct {
		Kind *string `json:"kind"`
	}
	if json.Unmarshal(line, &peek) != nil || peek.Kind == nil {
		return false, nil // a memory, or a bad line the memory decoder reports
	}
	if formatVersion < 2 {
		return true, fmt.Errorf("a graph record (%q) in a version %d snapshot", *peek.Kind, formatVersion)
	}
	switch *peek.Kind {
	case kindEntity:
		var r entityRecord
		if err := strictDecode(line, &r); err != nil {
			return true, err
		}
		if err := checkEntityRecord(&r); err != nil {
			return true, err
		}
		g.entities = append(g.entities, r)
	case kindRelation:
		var r relationRecord
		if err := strictDecode(line, &r); err != nil {
			return true, err
		}
		if r.Namespace == "" || r.From == "" || r.To == "" || r.RelationType == "" {
			return true, errors.New("a relation needs a namespace, from, to and relation_type")
		}
		if err := memorykit.CheckText("relation", r.Namespace, r.From, r.To, r.RelationType); err != nil {
			return true, errors.New(mimo.ErrorMessage(err))
		}
		g.relations = append(g.relations, r)
	default:
		return true, fmt.Errorf("unknown record kind %q", *peek.Kind)
	}
	return true, nil
}

// checkEntityRecord validates one entity of a snapshot and normalises its
// timestamps as the store keeps them.
func checkEntityRecord(r *entityRecord) error {
	if r.Namespace == "" || r.Name == "" || r.EntityType == "" {
		return errors.New("an entity needs a namespace, a name and an entity_type")
	}
	if err := memorykit.CheckText("entity "+r.Name, r.Namespace, r.Name, r.EntityType); err != nil {
		return errors.New(mimo.ErrorMessage(err))
	}
	if err := memorykit.CheckText("observations of entity "+r.Name, r.Observations...); err != nil {
		return errors.New(mimo.ErrorMessage(err))
	}
	if len(graphkit.Unique(r.Observations)) != len(r.Observations) {
		return fmt.Errorf("entity %q holds an observation twice", r.Name)
	}
	if r.Observations == nil {
		r.Observations = []string{}
	}
	if r.CreatedAt.IsZero() || r.UpdatedAt.IsZero() {
		return fmt.Errorf("entity %q: created_at and updated_at are required", r.Name)
	}
	r.CreatedAt, r.UpdatedAt = memorykit.Time(r.CreatedAt), memorykit.Time(r.UpdatedAt)
	return nil
}

// check validates the graph as a whole against the header: the counts,
// no entity or relation twice, and both ends of every relation among the
// snapshot's entities. Any defect is EINVALID.
func (g *graphRecords) check(path string, h backupHeader) error {
	if int64(len(g.entities)) != h.Entities || int64(len(g.relations)) != h.Relations {
		return mimo.Errorf(mimo.EINVALID, "backup file %s holds %d entities and %d relations but its header promises %d and %d (truncated?)",
			path, len(g.entities), len(g.relations), h.Entities, h.Relations)
	}
	names := make(map[[2]string]bool, len(g.entities))
	for _, e := range g.entities {
		key := [2]string{e.Namespace, e.Name}
		if names[key] {
			return mimo.Errorf(mimo.EINVALID, "backup file %s: entity %q of namespace %q appears twice", path, e.Name, e.Namespace)
		}
		names[key] = true
	}
	seen := make(map[relationRecord]bool, len(g.relations))
	for _, r := range g.relations {
		if seen[r] {
			return mimo.Errorf(mimo.EINVALID, "backup file %s: a relation of namespace %q appears twice", path, r.Namespace)
		}
		seen[r] = true
		for _, end := range []string{r.From, r.To} {
			if !names[[2]string{r.Namespace, end}] {
				return mimo.Errorf(mimo.EINVALID, "backup file %s: a relation of namespace %q refers to entity %q, which is not in it",
					path, r.Namespace, end)
			}
		}
	}
	return nil
}

// restoreGraph copies the snapshot's graph into tx, which has emptied the
// graph tables, recomputing each entity's search text.
func (s *Store) restoreGraph(ctx context.Context, tx pgx.Tx, g graphRecords) error {
	for start := 0; start < len(g.entities); start += restoreCopyBatch {
		chunk := g.entities[start:min(start+restoreCopyBatch, len(g.entities))]
		err := s.step(ctx, func(ctx context.Context) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"entities"},
				[]string{"namespace", "name", "entity_type", "observations", "search", "created_at", "updated_at"},
				pgx.CopyFromSlice(len(chunk), func(i int) ([]any, error) {
					e := chunk[i]
					return []any{e.Namespace, e.Name, e.EntityType, e.Observations,
						graphkit.SearchText(e.Name, e.EntityType, e.Observations), e.CreatedAt, e.UpdatedAt}, nil
				}))
			return err
		})
		if err != nil {
			return err
		}
	}
	for start := 0; start < len(g.relations); start += restoreCopyBatch {
		chunk := g.relations[start:min(start+restoreCopyBatch, len(g.relations))]
		err := s.step(ctx, func(ctx context.Context) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"relations"},
				[]string{"namespace", "from_name", "to_name", "relation_type"},
				pgx.CopyFromSlice(len(chunk), func(i int) ([]any, error) {
					r := chunk[i]
					return []any{r.Namespace, r.From, r.To, r.RelationType}, nil
				}))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
