package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Activity is what the database's other clients (Mimo) are seen doing
// since a mark, in pg_stat_activity: it shows each connection's start and
// its latest statement's start at once, with none of the cumulative
// statistics' reporting delay.
type Activity struct {
	// Connections opened since the mark.
	Connections int
	// Queries is the number of connections whose latest statement started
	// since the mark (a connection that ran several counts once).
	Queries int
}

// Now is the database's clock, a mark for ActivitySince read on the same
// clock that stamps the activity.
func (c *Container) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := c.query(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT now()").Scan(&now)
	})
	return now, err
}

// ActivitySince reports the activity of every client of the container's
// database but the caller's own connection since mark (from Now). Each call
// opens a connection from this machine, which is not counted.
func (c *Container) ActivitySince(ctx context.Context, mark time.Time) (Activity, error) {
	var a Activity
	err := c.query(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE backend_start > $2),
       count(*) FILTER (WHERE query_start > $2)
FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid()`, c.Database, mark).Scan(&a.Connections, &a.Queries)
	})
	return a, err
}

// QueryInt runs a query that returns one integer, such as a count, from
// this machine on a connection of its own: a test's look at what Mimo
// wrote, read from the database rather than through Mimo.
func (c *Container) QueryInt(ctx context.Context, sql string, args ...any) (int64, error) {
	var n int64
	err := c.query(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, sql, args...).Scan(&n)
	})
	return n, err
}

func (c *Container) query(ctx context.Context, f func(*pgx.Conn) error) error {
	url, err := c.HostURL(ctx)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("postgres: connecting from this machine: %w", err)
	}
	defer conn.Close(context.Background())
	if err := f(conn); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}
