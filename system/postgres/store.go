// Package postgres implements mimo.Store on PostgreSQL with pgx.
//
// Several Mimo replicas may share one database. Every mutation appends to the
// change log (table changes) in its own transaction, and change rows commit in
// sequence order (see changes.go), so a replica that follows the log by
// "seq > last seen" never misses an entry. The schema is created by the
// embedded migrations (MigrateUp); Open does not migrate.
package postgres

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	mimo "mimo/system"
)

var (
	_ mimo.Store    = (*Store)(nil)
	_ mimo.Migrator = (*Store)(nil)
	_ mimo.Backuper = (*Store)(nil)
)

// Defaults for the zero values of Options.
const (
	DefaultMaxConns       = 16
	DefaultConnectTimeout = 5 * time.Second
	DefaultQueryTimeout   = 10 * time.Second
)

// Options configure Open. Only URL is required.
type Options struct {
	// URL is the database, as a postgres:// URL or a key=value connection
	// string. Required.
	URL string
	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger
	// MaxConns is the most connections the pool opens; 0 means
	// DefaultMaxConns.
	MaxConns int32
	// ConnectTimeout bounds each attempt to open a connection; 0 means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// QueryTimeout bounds each store call (all its statements together), so
	// a dead or partitioned database fails a request instead of hanging it;
	// 0 means DefaultQueryTimeout. Migrations are bounded by the caller's
	// context only, since building an index may legitimately take longer.
	QueryTimeout time.Duration
}

// Store is a mimo.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool         *pgxpool.Pool
	connConfig   *pgx.ConnConfig // for the migrations' own connection
	log          *slog.Logger
	queryTimeout time.Duration
	target       string // host:port/database, for messages (no credentials)
	closed       atomic.Bool
}

// Open connects to the database named by o.URL and pings it once. It returns
// EINVALID for a missing or malformed URL and EUNAVAILABLE when the database
// cannot be reached within o.ConnectTimeout. It does not migrate.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.URL == "" {
		return nil, mimo.Errorf(mimo.EINVALID, "postgres: a database URL is required")
	}
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		// The parse error may quote the URL; pgx masks passwords in it, but
		// only the cause (logged) carries it, never the message.
		return nil, mimo.Wrap(mimo.EINVALID, err, "postgres: malformed database URL")
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	cfg.MaxConns = o.MaxConns
	cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	cc := cfg.ConnConfig
	s := &Store{
		connConfig:   cc.Copy(),
		log:          o.Logger.With("component", "postgres"),
		queryTimeout: o.QueryTimeout,
		target:       net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))) + "/" + cc.Database,
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, mimo.Wrap(mimo.EINVALID, err, "postgres: bad database settings")
	}
	s.pool = pool
	pctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		e := s.mapError(err, "ping")
		if e.Code == mimo.EUNAVAILABLE {
			e.Message = "postgres: cannot connect to " + s.target
			// The server's own reason (no such database, authentication
			// failed) is what an operator needs, and holds no secret.
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				e.Message += ": " + pe.Message
			}
		}
		return nil, e
	}
	s.log.Debug("connected", "target", s.target, "max_conns", o.MaxConns)
	return s, nil
}

// Ping checks that the database answers, within the query timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if s.closed.Load() {
		return errClosed()
	}
	if err := s.pool.Ping(ctx); err != nil {
		return s.mapError(err, "ping")
	}
	return nil
}

// Close releases the pool's connections. Calls after Close return
// EUNAVAILABLE. Close is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

// bound gives one store call its deadline.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.queryTimeout)
}

func errClosed() error {
	return mimo.Errorf(mimo.EUNAVAILABLE, "postgres: store is closed")
}

// inTx runs fn in one read-committed transaction, bounded by the query
// timeout, and commits it if fn returns nil. A transaction that lost a
// deadlock or a serialisation conflict with another writer is run again,
// up to three times, so fn must set its results afresh on every run.
// Errors that are already *mimo.Error pass through; others are mapped with
// op.
func (s *Store) inTx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if s.closed.Load() {
		return errClosed()
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var err error
	for range 3 {
		if err = s.tryTx(ctx, fn); !retryable(err) {
			break
		}
		s.log.Debug("transaction conflict, retrying", "op", op, "err", err)
	}
	if err != nil {
		return s.mapError(err, op)
	}
	return nil
}

func (s *Store) tryTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	// After a commit this is a no-op; after a failure it ends the transaction,
	// or closes the connection when ctx has expired, so it never hangs.
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// read runs fn, which queries s.pool, bounded by the query timeout, and maps
// its error with op.
func (s *Store) read(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if s.closed.Load() {
		return errClosed()
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := fn(ctx); err != nil {
		return s.mapError(err, op)
	}
	return nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
