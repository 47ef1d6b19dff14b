// Package sqlite is Mimo's embedded store: mimo.Store, mimo.Migrator and
// mimo.Backuper on one SQLite database file, through modernc.org/sqlite (no
// cgo).
//
// The file is opened in WAL mode with synchronous=FULL, so every write that
// returned is on disk and survives a crash or power loss. A Store holds two
// connection pools: one writer connection whose transactions begin
// IMMEDIATE (taking the write lock up front, so they wait on busy_timeout
// instead of failing half way), and a pool of read-only connections that
// read concurrently with the writer. Several processes may open the same
// file at once; SQLite's file locks and the busy timeout serialise their
// writes.
package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	// The "sqlite" database/sql driver.
	_ "modernc.org/sqlite"

	"mimo/system"
	"mimo/system/internal/graphkit"
)

var (
	_ mimo.Store    = (*Store)(nil)
	_ mimo.Migrator = (*Store)(nil)
	_ mimo.Backuper = (*Store)(nil)
)

// Defaults for zero Options fields.
const (
	DefaultReadConns   = 4
	DefaultBusyTimeout = 10 * time.Second
)

// Options configure Open. The zero value of every field but Path is a safe
// default.
type Options struct {
	// Path is the database file; it is created if missing. Required.
	Path string
	// Logger receives migration and maintenance messages; nil discards them.
	Logger *slog.Logger
	// ReadConns is the size of the read-only connection pool; 0 means
	// DefaultReadConns.
	ReadConns int
	// BusyTimeout is how long a statement waits for a lock another
	// connection or process holds before failing with EUNAVAILABLE; 0 means
	// DefaultBusyTimeout. It is rounded down to whole milliseconds, at
	// least one.
	BusyTimeout time.Duration
}

// Store is a mimo.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	path   string
	log    *slog.Logger
	busy   time.Duration
	writer *sql.DB   // one connection; every mutation goes through it
	reader *sql.DB   // query_only connections
	stmts  stmtCache // prepared statements on reader
	// search caches each namespace's entity search text for SearchNodes,
	// checked against graph_versions on every use.
	search graphkit.SearchCache
}

// Open opens (creating if needed) the database at opts.Path and checks that
// it is a usable SQLite file. It does not migrate: call MigrateUp. Errors:
// EINVALID for an empty path or a file that is not an SQLite database,
// EUNAVAILABLE when the file cannot be opened or written.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if strings.TrimSpace(opts.Path) == "" {
		return nil, mimo.Errorf(mimo.EINVALID, "sqlite: a database path is required")
	}
	path, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, mimo.Wrap(mimo.EINVALID, err, "sqlite: bad database path")
	}
	s := &Store{path: path, log: opts.Logger, busy: opts.BusyTimeout}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.busy <= 0 {
		s.busy = DefaultBusyTimeout
	}
	readConns := opts.ReadConns
	if readConns <= 0 {
		readConns = DefaultReadConns
	}

	// The writer opens first: it switches the file to WAL, which readers
	// need, and it is the connection that reveals a file that is not a
	// database or cannot be written.
	s.writer, err = sql.Open("sqlite", s.dsn(writerParams))
	if err != nil {
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: open writer")
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	if err := s.checkWritable(ctx); err != nil {
		s.writer.Close()
		return nil, err
	}

	s.reader, err = sql.Open("sqlite", s.dsn(readerParams))
	if err != nil {
		s.writer.Close()
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: open readers")
	}
	s.stmts.db = s.reader
	s.reader.SetMaxOpenConns(readConns)
	s.reader.SetMaxIdleConns(readConns)
	s.reader.SetConnMaxLifetime(0)
	if err := s.reader.PingContext(ctx); err != nil {
		s.Close()
		return nil, dbErr(ctx, err, "sqlite: open readers")
	}
	return s, nil
}

// checkWritable makes the writer connect (applying WAL and the other
// pragmas) and confirms the journal mode took, so an unusable file fails
// Open rather than the first write.
func (s *Store) checkWritable(ctx context.Context) error {
	var mode string
	if err := s.writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return dbErr(ctx, err, "sqlite: open database")
	}
	if !strings.EqualFold(mode, "wal") {
		return mimo.Errorf(mimo.EUNAVAILABLE, "sqlite: database is in %s journal mode, not WAL; is the file or its directory read-only?", mode)
	}
	return nil
}

type connKind int

const (
	writerParams connKind = iota
	readerParams
	plainParams // backups and restores: no WAL switch, no query_only
)

// dsn builds a file: URI for the database, so any character in the path is
// escaped, with the driver's parameters for the given kind of connection.
func (s *Store) dsn(kind connKind) string {
	return fileURI(s.path, s.busy, kind)
}

func fileURI(path string, busy time.Duration, kind connKind) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(max(1, busy.Milliseconds()), 10))
	q.Set("_foreign_keys", "1")
	switch kind {
	case writerParams:
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_txlock", "immediate")
	case readerParams:
		q.Set("_query_only", "1")
	case plainParams:
		q.Set("_synchronous", "FULL")
		q.Set("_txlock", "immediate")
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Ping checks that the database file can be read. It uses the read pool,
// so a long write transaction does not make the store look down.
func (s *Store) Ping(ctx context.Context) error {
	var v int64
	if err := s.reader.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&v); err != nil {
		return dbErr(ctx, err, "sqlite: ping")
	}
	return nil
}

// Close closes both pools. Closing the last connection to the file
// checkpoints the WAL into it.
func (s *Store) Close() error {
	var err error
	if s.reader != nil {
		err = s.stmts.close()
		if rerr := s.reader.Close(); err == nil {
			err = rerr
		}
	}
	if s.writer != nil {
		if werr := s.writer.Close(); err == nil {
			err = werr
		}
	}
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "sqlite: close")
	}
	return nil
}
