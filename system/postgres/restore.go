package postgres

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

const (
	// restoreSchemaVersion is the newest migration whose tables Restore
	// writes: 3 made the graph tables, 5 (accessSchemaVersion) memory_access.
	restoreSchemaVersion = accessSchemaVersion
	restoreCopyBatch     = 1000 // rows per COPY, each under the query timeout
	// maxBackupLine bounds one line of a snapshot. An entity's line holds
	// all its observations (MaxObservations of up to MaxObservationBytes
	// each, JSON-escaped, and more if added over time), so the bound is
	// what Postgres holds in one field, 1 GB, rather than a memory's size.
	// The scanner's buffer grows only as far as the longest line.
	maxBackupLine = 1 << 30
)

// restoreColumns are the columns COPY fills, in the order of copyRow.
var restoreColumns = []string{"id", "namespace", "content", "content_hash", "category",
	"importance", "tags", "metadata", "created_at", "updated_at",
	"supersedes", "superseded_by", "embedding", "embedding_model", "embedding_dim"}

// restoreAccessColumns are the columns of memory_access COPY fills. Only
// memories that were accessed (or carry a count) get a row.
var restoreAccessColumns = []string{"memory_id", "access_count", "last_accessed_at"}

// Restore loads a snapshot written by Backup (any format version). It
// reads and validates the whole file first: a file that is not a
// complete, well-formed snapshot is EINVALID and nothing is changed. The
// database must be migrated to at least the snapshot's schema version and
// the graph's (else ECONFLICT). If the database holds any memory or graph
// entity, Restore refuses with ECONFLICT unless force; with force every
// existing memory, entity and relation is deleted (a snapshot without a
// graph leaves the graph empty). Deletes, inserts and the change-log
// entries for memories (so other replicas' indexes follow) happen in one
// transaction that blocks other writers until it commits. Each statement
// has the query timeout; the whole restore is bounded by ctx only.
func (s *Store) Restore(ctx context.Context, path string, force bool) error {
	if s.closed.Load() {
		return errClosed()
	}
	h, recs, graph, err := readBackup(path)
	if err != nil {
		return err
	}
	version, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	// Restore also writes the graph tables (emptying them at least) and
	// memory_access, so an older snapshot needs them too.
	if need := max(h.SchemaVersion, restoreSchemaVersion); version < need {
		return mimo.Errorf(mimo.ECONFLICT, "the database is at schema version %d but the restore needs %d; run migrate up first",
			version, need)
	}
	var tx pgx.Tx
	err = s.step(ctx, func(ctx context.Context) (err error) {
		tx, err = s.pool.Begin(ctx)
		return err
	})
	if err != nil {
		return s.mapError(err, "restore")
	}
	defer func() { _ = s.step(context.WithoutCancel(ctx), tx.Rollback) }()
	var deleted int64
	err = s.step(ctx, func(ctx context.Context) error {
		// Writers wait until the restore commits, so the emptiness check
		// holds and no write interleaves with the load.
		if _, err := tx.Exec(ctx, `LOCK TABLE memories, entities, relations IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var existing, entities int64
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM memories), (SELECT count(*) FROM entities)`).
			Scan(&existing, &entities); err != nil {
			return err
		}
		if existing > 0 && !force {
			return mimo.Errorf(mimo.ECONFLICT, "the database already holds %d memories; restore with force to replace them", existing)
		}
		if entities > 0 && !force {
			return mimo.Errorf(mimo.ECONFLICT, "the database already holds %d graph entities; restore with force to replace them", entities)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM relations`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM entities`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, changeLockKey); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `WITH d AS (DELETE FROM memories RETURNING id, namespace)
			INSERT INTO changes (op, memory_id, namespace)
			SELECT 'delete', d.id, d.namespace FROM d ORDER BY d.id`)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return s.mapError(err, "restore")
	}
	for start := 0; start < len(recs); start += restoreCopyBatch {
		chunk := recs[start:min(start+restoreCopyBatch, len(recs))]
		err := s.step(ctx, func(ctx context.Context) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"memories"}, restoreColumns,
				pgx.CopyFromSlice(len(chunk), func(i int) ([]any, error) { return copyRow(chunk[i]), nil }))
			if err != nil {
				return err
			}
			var access [][]any
			for _, r := range chunk {
				if r.AccessCount != 0 || r.LastAccessedAt != nil {
					access = append(access, []any{r.ID, r.AccessCount, r.LastAccessedAt})
				}
			}
			if len(access) == 0 {
				return nil
			}
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"memory_access"}, restoreAccessColumns, pgx.CopyFromRows(access))
			return err
		})
		if err != nil {
			return s.mapError(err, "restore")
		}
	}
	if err := s.restoreGraph(ctx, tx, graph); err != nil {
		return s.mapError(err, "restore")
	}
	err = s.step(ctx, func(ctx context.Context) error {
		if _, err := tx.Exec(ctx, `INSERT INTO changes (op, memory_id, namespace)
			SELECT 'upsert', id, namespace FROM memories ORDER BY id`); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return s.mapError(err, "restore")
	}
	s.log.Info("backup restored", "path", path, "memories", len(recs), "replaced", deleted,
		"entities", len(graph.entities), "relations", len(graph.relations))
	return nil
}

// copyRow is rec in restoreColumns order; its access count and time go
// to memory_access.
func copyRow(r backupRecord) []any {
	var supersedes, supersededBy any
	if r.Supersedes != "" {
		supersedes = r.Supersedes
	}
	if r.SupersededBy != "" {
		supersededBy = r.SupersededBy
	}
	var vec []byte
	if len(r.Embedding) > 0 {
		vec = r.Embedding
	}
	return []any{r.ID, r.Namespace, r.Content, r.ContentHash, r.Category,
		r.Importance, r.Tags, string(r.Metadata), r.CreatedAt, r.UpdatedAt,
		supersedes, supersededBy, vec, r.EmbeddingModel, r.EmbeddingDim}
}

// readBackup reads and validates a whole snapshot. Any defect is EINVALID.
func readBackup(path string) (backupHeader, []backupRecord, graphRecords, error) {
	h, recs, graph, err := readBackupFile(path)
	if err != nil {
		return h, nil, graphRecords{}, err
	}
	if err := graph.check(path, h); err != nil {
		return h, nil, graphRecords{}, err
	}
	return h, recs, graph, nil
}

func readBackupFile(path string) (backupHeader, []backupRecord, graphRecords, error) {
	var h backupHeader
	var graph graphRecords
	f, err := os.Open(path)
	if err != nil {
		return h, nil, graph, mimo.Wrap(mimo.EINVALID, err, "cannot open backup file "+path)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxBackupLine)
	bad := func(line int, format string, args ...any) error {
		return mimo.Errorf(mimo.EINVALID, "backup file %s, line %d: %s", path, line, fmt.Sprintf(format, args...))
	}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return h, nil, graph, mimo.Wrap(mimo.EINVALID, err, "cannot read backup file "+path)
		}
		return h, nil, graph, bad(1, "empty file, want a header")
	}
	if err := strictDecode(sc.Bytes(), &h); err != nil {
		return h, nil, graph, bad(1, "bad header: %v", err)
	}
	if h.Format != backupFormat || h.FormatVersion < 1 || h.FormatVersion > backupFormatVersion {
		return h, nil, graph, bad(1, "not a %s file of version 1 to %d", backupFormat, backupFormatVersion)
	}
	if h.Memories < 0 || h.Entities < 0 || h.Relations < 0 {
		return h, nil, graph, bad(1, "negative count")
	}
	var recs []backupRecord
	ids := map[string]bool{}
	hashes := map[[2]string]bool{}
	line := 1
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if isGraph, err := graph.add(sc.Bytes(), h.FormatVersion); isGraph || err != nil {
			if err != nil {
				return h, nil, graph, bad(line, "%s", err)
			}
			continue
		}
		var r backupRecord
		if err := strictDecode(sc.Bytes(), &r); err != nil {
			return h, nil, graph, bad(line, "%v", err)
		}
		if err := checkRecord(&r); err != nil {
			return h, nil, graph, bad(line, "%s", mimo.ErrorMessage(err))
		}
		if ids[r.ID] {
			return h, nil, graph, bad(line, "memory ID %s appears twice", r.ID)
		}
		key := [2]string{r.Namespace, r.ContentHash}
		if hashes[key] {
			return h, nil, graph, bad(line, "namespace %q holds the same content twice", r.Namespace)
		}
		ids[r.ID], hashes[key] = true, true
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return h, nil, graph, mimo.Wrap(mimo.EINVALID, err, "cannot read backup file "+path)
	}
	if int64(len(recs)) != h.Memories {
		return h, nil, graph, mimo.Errorf(mimo.EINVALID, "backup file %s holds %d memories but its header promises %d (truncated?)",
			path, len(recs), h.Memories)
	}
	return h, recs, graph, nil
}

// strictDecode decodes one JSON value, refusing unknown fields and
// trailing data.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// checkRecord validates one memory of a snapshot and normalises its
// timestamps and empty fields as CreateMemory would.
func checkRecord(r *backupRecord) error {
	if r.ID == "" || r.Namespace == "" {
		return mimo.Errorf(mimo.EINVALID, "a memory needs an ID and a namespace")
	}
	if r.ContentHash != memorykit.ContentHash(r.Content) {
		return mimo.Errorf(mimo.EINVALID, "memory %s: content hash does not match its content", r.ID)
	}
	meta, err := mimo.CompactMetadata(r.Metadata)
	if err != nil {
		return mimo.Errorf(mimo.EINVALID, "memory %s: %s", r.ID, mimo.ErrorMessage(err))
	}
	r.Metadata = json.RawMessage(meta)
	if err := memorykit.CheckText("memory "+r.ID, r.ID, r.Namespace, r.Content, r.Category, r.Supersedes,
		r.SupersededBy, r.EmbeddingModel, meta); err != nil {
		return err
	}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	if err := memorykit.CheckText("tags of memory "+r.ID, r.Tags...); err != nil {
		return err
	}
	if _, err := mimo.DecodeVector(r.Embedding); err != nil {
		return mimo.Errorf(mimo.EINVALID, "memory %s: %v", r.ID, err)
	}
	if r.CreatedAt.IsZero() || r.UpdatedAt.IsZero() {
		return mimo.Errorf(mimo.EINVALID, "memory %s: created_at and updated_at are required", r.ID)
	}
	r.CreatedAt, r.UpdatedAt = memorykit.Time(r.CreatedAt), memorykit.Time(r.UpdatedAt)
	if r.LastAccessedAt != nil {
		l := memorykit.Time(*r.LastAccessedAt)
		r.LastAccessedAt = &l
	}
	return nil
}
