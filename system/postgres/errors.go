package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	mimo "mimo/system"
)

// SQLSTATE codes and classes the mapping names. See the PostgreSQL manual,
// appendix "PostgreSQL Error Codes".
const (
	sqlUniqueViolation      = "23505"
	sqlReadOnlyTransaction  = "25006"
	sqlSerializationFailure = "40001"
	sqlDeadlockDetected     = "40P01"
	sqlQueryCanceled        = "57014"
	sqlAdminShutdown        = "57P01"
	sqlCrashShutdown        = "57P02"
	sqlCannotConnectNow     = "57P03"
	sqlDatabaseDropped      = "57P04"
	sqlIdleSessionTimeout   = "57P05"

	classDataException        = "22" // a value the column cannot hold
	classConnection           = "08" // connection exception
	classInsufficientResource = "53" // disk full, out of memory, too many connections
	classOperatorIntervention = "57"
	classSystemError          = "58" // I/O error
)

// mapError turns a database error into a *mimo.Error. An error that already
// is one passes through unchanged. The database being unreachable, slow,
// shutting down, out of resources or read-only is EUNAVAILABLE (retrying
// later may work); a unique violation is ECONFLICT; everything else is
// EINTERNAL, except a value the database cannot hold, which is EINVALID.
// op names the operation in the message.
func (s *Store) mapError(err error, op string) *mimo.Error {
	var me *mimo.Error
	if errors.As(err, &me) {
		return me
	}
	code := classify(err)
	msg := "postgres: " + op + " failed"
	switch code {
	case mimo.EUNAVAILABLE:
		msg = "postgres: database unavailable (" + op + ")"
	case mimo.ECONFLICT:
		msg = "postgres: " + op + ": conflicts with an existing memory"
	case mimo.EINVALID:
		msg = "postgres: " + op + ": a value cannot be stored"
	}
	if code == mimo.EINTERNAL {
		s.log.Error("database error", "op", op, "err", err)
	}
	return mimo.Wrap(code, err, msg)
}

// classify returns the mimo error code for a database error.
func classify(err error) string {
	// Failing to open a connection, for whatever reason the server gave (no
	// such database, authentication, too many clients), means the database
	// cannot be used now.
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return mimo.EUNAVAILABLE
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case sqlUniqueViolation:
			return mimo.ECONFLICT
		case sqlReadOnlyTransaction, sqlSerializationFailure, sqlDeadlockDetected,
			sqlQueryCanceled, sqlAdminShutdown, sqlCrashShutdown, sqlCannotConnectNow,
			sqlDatabaseDropped, sqlIdleSessionTimeout:
			return mimo.EUNAVAILABLE
		}
		switch {
		case strings.HasPrefix(pe.Code, classDataException):
			return mimo.EINVALID
		case strings.HasPrefix(pe.Code, classConnection),
			strings.HasPrefix(pe.Code, classInsufficientResource),
			strings.HasPrefix(pe.Code, classOperatorIntervention),
			strings.HasPrefix(pe.Code, classSystemError):
			return mimo.EUNAVAILABLE
		}
		return mimo.EINTERNAL
	}
	if transient(err) {
		return mimo.EUNAVAILABLE
	}
	return mimo.EINTERNAL
}

// transient reports whether err is a failure to reach or keep talking to the
// server rather than a fault of the statement: refused or reset connections,
// timeouts, a closed connection or pool, a failed connection attempt.
func transient(err error) bool {
	var ne net.Error
	switch {
	case pgconn.Timeout(err),
		pgconn.SafeToRetry(err),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH),
		errors.As(err, &ne):
		return true
	}
	// The pool reports its own closing and exhaustion only as text.
	msg := err.Error()
	return strings.Contains(msg, "closed pool") || strings.Contains(msg, "conn closed") ||
		strings.Contains(msg, "too many failed attempts acquiring connection")
}

// retryable reports whether err is a deadlock or serialisation failure: the
// transaction was rolled back and running it again may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == sqlDeadlockDetected || pe.Code == sqlSerializationFailure)
}
