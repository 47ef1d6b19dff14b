package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// The logical snapshot format: JSON lines, a header, one record per
// memory ordered by ID, then (from version 2) the knowledge graph: one
// record per entity and one per relation (see backup_graph.go). Version 1
// snapshots, which have no graph, still restore.
const (
	backupFormat        = "mimo-postgres-backup"
	backupFormatVersion = 2
	backupFetchSize     = 500 // rows read per FETCH, each under the query timeout
)

// backupHeader is the first line of a snapshot. Memories, Entities and
// Relations count the records that follow, so a truncated file is
// detected; version 1 headers have no graph counts, which read as 0.
type backupHeader struct {
	Format        string    `json:"format"`
	FormatVersion int       `json:"format_version"`
	SchemaVersion int64     `json:"schema_version"`
	CreatedAt     time.Time `json:"created_at"`
	Memories      int64     `json:"memories"`
	Entities      int64     `json:"entities"`
	Relations     int64     `json:"relations"`
}

// backupRecord is one memory with every field; Embedding is the
// EncodeVector form, base64 in JSON.
type backupRecord struct {
	ID             string          `json:"id"`
	Namespace      string          `json:"namespace"`
	Content        string          `json:"content"`
	ContentHash    string          `json:"content_hash"`
	Category       string          `json:"category"`
	Importance     float64         `json:"importance"`
	Tags           []string        `json:"tags"`
	Metadata       json.RawMessage `json:"metadata"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	LastAccessedAt *time.Time      `json:"last_accessed_at"`
	AccessCount    int64           `json:"access_count"`
	Supersedes     string          `json:"supersedes"`
	SupersededBy   string          `json:"superseded_by"`
	Embedding      []byte          `json:"embedding"`
	EmbeddingModel string          `json:"embedding_model"`
	EmbeddingDim   int             `json:"embedding_dim"`
}

func recordOf(m *mimo.Memory) backupRecord {
	return backupRecord{
		ID: m.ID, Namespace: m.Namespace, Content: m.Content, ContentHash: m.ContentHash,
		Category: string(m.Category), Importance: m.Importance, Tags: m.Tags, Metadata: m.Metadata,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, LastAccessedAt: m.LastAccessedAt,
		AccessCount: m.AccessCount, Supersedes: m.Supersedes, SupersededBy: m.SupersededBy,
		Embedding: vectorBytes(m.Embedding), EmbeddingModel: m.EmbeddingModel, EmbeddingDim: m.EmbeddingDim,
	}
}

// Backup writes a logical snapshot of every memory and of the knowledge
// graph to path while the store keeps serving. All rows are read in one
// repeatable-read, read-only transaction, so the snapshot is consistent (a
// supersede is in it on both sides or on neither, a relation with both its
// ends). The file is written beside path, synced and then linked into
// place, so path never holds a partial snapshot. An existing path is
// ECONFLICT. Each fetch of rows has the query timeout; the whole backup is
// bounded by ctx only.
func (s *Store) Backup(ctx context.Context, path string) (err error) {
	if s.closed.Load() {
		return errClosed()
	}
	if _, err := os.Lstat(path); err == nil {
		return mimo.Errorf(mimo.ECONFLICT, "backup file %s already exists", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return mimo.Wrap(mimo.EINVALID, err, "cannot create the backup file beside "+path)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := s.snapshot(ctx, json.NewEncoder(w)); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "cannot write the backup file")
	}
	if err := tmp.Sync(); err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "cannot write the backup file")
	}
	if err := tmp.Close(); err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "cannot write the backup file")
	}
	// A link, unlike a rename, never replaces a file that appeared since
	// the check above.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return mimo.Errorf(mimo.ECONFLICT, "backup file %s already exists", path)
		}
		return mimo.Wrap(mimo.EINTERNAL, err, "cannot move the backup file into place")
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable
		_ = d.Close()
	}
	s.log.Info("backup written", "path", path)
	return nil
}

// snapshot writes the header, every memory and the graph to enc from one
// repeatable-read, read-only transaction.
func (s *Store) snapshot(ctx context.Context, enc *json.Encoder) error {
	bctx, cancel := s.bound(ctx)
	tx, err := s.pool.BeginTx(bctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	cancel()
	if err != nil {
		return s.mapError(err, "backup")
	}
	// Read-only: ending it with a rollback loses nothing.
	defer func() { _ = s.step(context.WithoutCancel(ctx), tx.Rollback) }()
	h := backupHeader{Format: backupFormat, FormatVersion: backupFormatVersion, CreatedAt: memorykit.Time(time.Now())}
	err = s.step(ctx, func(ctx context.Context) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&h.SchemaVersion); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM memories), (SELECT count(*) FROM entities),
				(SELECT count(*) FROM relations)`).Scan(&h.Memories, &h.Entities, &h.Relations); err != nil {
			return err
		}
		cols := memoryColumns
		if h.SchemaVersion < accessSchemaVersion {
			cols = memoryColumnsBeforeAccess
		}
		if _, err := tx.Exec(ctx, `DECLARE backup_rows NO SCROLL CURSOR FOR
			SELECT `+cols+` FROM memories m ORDER BY m.id`); err != nil {
			return err
		}
		return declareGraphCursors(ctx, tx)
	})
	if err != nil {
		return s.mapError(err, "backup")
	}
	if err := enc.Encode(h); err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "cannot write the backup file")
	}
	var written int64
	for {
		var batch []*mimo.Memory
		err := s.step(ctx, func(ctx context.Context) error {
			rows, err := tx.Query(ctx, `FETCH `+fmt.Sprint(backupFetchSize)+` FROM backup_rows`)
			if err != nil {
				return err
			}
			batch, err = collectMemories(rows)
			return err
		})
		if err != nil {
			return s.mapError(err, "backup")
		}
		for _, m := range batch {
			if err := enc.Encode(recordOf(m)); err != nil {
				return mimo.Wrap(mimo.EINTERNAL, err, "cannot write the backup file")
			}
		}
		written += int64(len(batch))
		if len(batch) < backupFetchSize {
			break
		}
	}
	if written != h.Memories {
		return mimo.Errorf(mimo.EINTERNAL, "backup read %d memories, expected %d", written, h.Memories)
	}
	return s.snapshotGraph(ctx, tx, enc, h)
}

// step runs fn under the query timeout.
func (s *Store) step(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return fn(ctx)
}
