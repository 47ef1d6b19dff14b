package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mimo/system"
)

// Backup writes a consistent snapshot of the database to dest while the
// store keeps serving: VACUUM INTO a temporary file beside dest (a read
// transaction, so writers go on), fsync, then rename into place. dest must
// not exist (ECONFLICT); EINVALID for an empty path; EUNAVAILABLE when the
// snapshot cannot be written.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if strings.TrimSpace(dest) == "" {
		return mimo.Errorf(mimo.EINVALID, "backup: a destination path is required")
	}
	dest, err := filepath.Abs(dest)
	if err != nil {
		return mimo.Wrap(mimo.EINVALID, err, "backup: bad destination path")
	}
	if err := mustNotExist(dest); err != nil {
		return err
	}
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "backup: cannot create a file beside the destination")
	}
	tmpPath := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
		}
	}()

	// A connection of its own, so a long snapshot holds neither the writer
	// nor a reader of the pools.
	db, err := sql.Open("sqlite", fileURI(s.path, s.busy, plainParams))
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "backup: open database")
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmpPath); err != nil {
		return dbErr(ctx, err, "backup: snapshot")
	}
	if err := syncFile(tmpPath); err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "backup: sync snapshot")
	}
	if err := mustNotExist(dest); err != nil {
		return err
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "backup: move snapshot into place")
	}
	done = true
	if err := syncDir(dir); err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "backup: sync directory")
	}
	s.log.Info("sqlite: backup written", "path", dest)
	return nil
}

// Restore replaces the database at dbPath with the backup at backupPath.
// No process may have dbPath open while it runs (stop Mimo first).
//
// It checks that the backup is a sound Mimo database (integrity_check
// passes, it has the memories table, its schema is not newer than this
// build's) and refuses with ECONFLICT when dbPath holds any memory or
// graph entity, or is not an SQLite database, unless force. The swap is
// atomic: the backup is copied to a temporary file beside dbPath and
// synced, the old database's -wal, -shm and -journal files are removed,
// and the copy is renamed over dbPath. The sidecar files go first because a stale WAL beside the new
// file would be replayed into it; if the process dies between the two
// steps, the old database has lost only its WAL, which was being replaced
// anyway. Errors: ENOTFOUND (no backup file), EINVALID (bad paths, not a
// Mimo backup), ECONFLICT, EUNAVAILABLE (I/O).
func Restore(ctx context.Context, backupPath, dbPath string, force bool) error {
	if strings.TrimSpace(backupPath) == "" || strings.TrimSpace(dbPath) == "" {
		return mimo.Errorf(mimo.EINVALID, "restore: backup and database paths are required")
	}
	backupPath, err := filepath.Abs(backupPath)
	if err != nil {
		return mimo.Wrap(mimo.EINVALID, err, "restore: bad backup path")
	}
	dbPath, err = filepath.Abs(dbPath)
	if err != nil {
		return mimo.Wrap(mimo.EINVALID, err, "restore: bad database path")
	}
	if backupPath == dbPath {
		return mimo.Errorf(mimo.EINVALID, "restore: the backup is the database itself")
	}
	if err := verifyBackup(ctx, backupPath); err != nil {
		return err
	}
	if !force {
		if err := mustHoldNoMemories(ctx, dbPath); err != nil {
			return err
		}
	}

	dir := filepath.Dir(dbPath)
	tmpPath, err := copyBeside(backupPath, dir, "."+filepath.Base(dbPath)+".restore-*")
	if err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			os.Remove(tmpPath)
			return mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: remove the old database's "+suffix+" file")
		}
	}
	if err := os.Rename(tmpPath, dbPath); err != nil {
		os.Remove(tmpPath)
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: move the restored database into place")
	}
	if err := syncDir(dir); err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: sync directory")
	}
	return nil
}

// verifyBackup opens the backup read-only and immutable, so exactly the
// bytes Restore copies are checked, and nothing is written beside it.
func verifyBackup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return mimo.Errorf(mimo.ENOTFOUND, "restore: backup file not found")
		}
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: cannot read the backup file")
	}
	db, err := sql.Open("sqlite", fileURI(path, time.Second, readerParams)+"&mode=ro&immutable=1")
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "restore: open backup")
	}
	defer db.Close()
	notMimo := mimo.Errorf(mimo.EINVALID, "restore: the backup is not a Mimo SQLite database")
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil {
		if code := mimo.ErrorCode(dbErr(ctx, err, "")); code == mimo.EINVALID || code == mimo.EINTERNAL {
			return notMimo
		}
		return dbErr(ctx, err, "restore: check backup")
	}
	if result != "ok" {
		return mimo.Errorf(mimo.EINVALID, "restore: the backup fails its integrity check")
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'memories'`).Scan(&n); err != nil {
		return dbErr(ctx, err, "restore: check backup")
	}
	if n == 0 {
		return notMimo
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	latest, err := latestVersion()
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "restore: migrations")
	}
	if v > latest {
		return mimo.Errorf(mimo.EINVALID, "restore: the backup has schema version %d, newer than this build's %d", v, latest)
	}
	return nil
}

// mustHoldNoMemories is ECONFLICT when path is a database holding memories
// or graph entities, or a file that is not a database; a missing or empty
// file is fine.
func mustHoldNoMemories(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: cannot read the database file")
	}
	if st.Size() == 0 {
		return nil
	}
	// Not immutable: rows still in the WAL count too.
	db, err := sql.Open("sqlite", fileURI(path, DefaultBusyTimeout, readerParams))
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "restore: open database")
	}
	defer db.Close()
	// A database migrated before the graph existed has no entities table.
	for _, c := range []struct{ table, what string }{{"memories", "memories"}, {"entities", "graph entities"}} {
		var tables int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, c.table).Scan(&tables); err != nil {
			if mimo.ErrorCode(dbErr(ctx, err, "")) == mimo.EINVALID {
				return mimo.Errorf(mimo.ECONFLICT, "restore: the database path holds a file that is not an SQLite database; use force to replace it")
			}
			return dbErr(ctx, err, "restore: read database")
		}
		if tables == 0 {
			continue
		}
		var n int64
		// The table name is one of the two constants above, not input.
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(&n); err != nil {
			return dbErr(ctx, err, "restore: read database")
		}
		if n > 0 {
			return mimo.Errorf(mimo.ECONFLICT, "restore: the database holds %d %s; use force to replace them", n, c.what)
		}
	}
	return nil
}

// copyBeside copies src to a new temporary file in dir named by pattern,
// synced to disk, and returns its path.
func copyBeside(src, dir, pattern string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: open backup")
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: create a file beside the database")
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", mimo.Wrap(mimo.EUNAVAILABLE, err, "restore: copy backup")
	}
	return out.Name(), nil
}

func mustNotExist(path string) error {
	_, err := os.Lstat(path)
	if err == nil {
		return mimo.Errorf(mimo.ECONFLICT, "backup: %s already exists; choose a new file", filepath.Base(path))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "backup: cannot check the destination")
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename in dir durable. Some systems cannot sync a
// directory; there the rename is as durable as they make it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
