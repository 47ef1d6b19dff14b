package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"mimo/system"
)

// dbErr turns an error from the driver into a *mimo.Error. what names the
// operation, for the message. An error that already is a *mimo.Error passes
// through. A context that ended makes EUNAVAILABLE whose cause is the
// context's error, so errors.Is(err, context.Canceled) still holds.
func dbErr(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	var me *mimo.Error
	if errors.As(err, &me) {
		return err
	}
	if ctx != nil && ctx.Err() != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, ctx.Err(), what+": request cancelled or timed out")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, what+": request cancelled or timed out")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return mimo.Wrap(codeOf(se), err, what+": "+describe(se))
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) || strings.Contains(err.Error(), "database is closed") {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, what+": database connection lost")
	}
	return mimo.Wrap(mimo.EINTERNAL, err, what)
}

// codeOf picks the mimo code for an SQLite result code. Anything that may
// pass if retried later (locks, a full or read-only disk, I/O) is
// EUNAVAILABLE; a file that is not a database is EINVALID; a unique
// violation is ECONFLICT for callers that did not expect it.
func codeOf(se *sqlite.Error) string {
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM,
		sqlite3.SQLITE_PERM, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_AUTH:
		return mimo.EUNAVAILABLE
	case sqlite3.SQLITE_NOTADB:
		return mimo.EINVALID
	case sqlite3.SQLITE_CONSTRAINT:
		if isUnique(se) {
			return mimo.ECONFLICT
		}
	case sqlite3.SQLITE_ERROR:
		// A missing table means the schema is not migrated yet, or another
		// process is migrating it right now.
		if strings.Contains(se.Error(), "no such table") {
			return mimo.EUNAVAILABLE
		}
	}
	return mimo.EINTERNAL
}

// describe is a client-safe description of an SQLite error: no SQL, no
// values, no paths.
func describe(se *sqlite.Error) string {
	if se.Code() == sqlite3.SQLITE_READONLY_DIRECTORY {
		// Reading a WAL database takes its -shm file; a clean shutdown
		// removes it, and a read-only folder cannot have it made again.
		return "the database's folder is read-only and the database's -wal and -shm files are not there, so it can be neither read nor written; make the folder writable"
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return "database is busy"
	case sqlite3.SQLITE_FULL:
		return "disk is full"
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
		return "database is read-only"
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOLFS:
		return "database file cannot be read or written"
	case sqlite3.SQLITE_NOTADB:
		return "file is not an SQLite database"
	case sqlite3.SQLITE_CORRUPT:
		return "database file is corrupt"
	case sqlite3.SQLITE_CONSTRAINT:
		return "constraint violated"
	case sqlite3.SQLITE_INTERRUPT:
		return "interrupted"
	}
	if strings.Contains(se.Error(), "no such table") {
		return "database schema is not migrated"
	}
	return "database error"
}

// isUnique reports whether err is a violation of a UNIQUE or PRIMARY KEY
// constraint.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
