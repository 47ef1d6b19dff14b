package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"mimo/system"
	"mimo/system/internal/migratekit"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is where goose records applied migrations.
const versionTable = "goose_db_version"

// provider returns a goose provider over db. A new one is made for every
// call: a provider remembers a failed attempt to create its version table,
// and a retry must not.
func (s *Store) provider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: migrations")
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub,
		goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(versionTable),
		goose.WithSlog(s.log),
	)
	if err != nil {
		return nil, mimo.Wrap(mimo.EINTERNAL, err, "sqlite: migrations")
	}
	return p, nil
}

// migrateAttempts bounds MigrateUp's retries of a race with another process.
const migrateAttempts = 10

// MigrateUp applies every pending migration, each in its own IMMEDIATE
// transaction, and returns the versions it applied. Several processes may
// call it at once: SQLite's write lock serialises their migrations, and one
// that loses a race (its migration was applied by another process between
// its check and its turn, which makes the DDL fail) looks again and goes on
// from where the other left off, so each migration runs exactly once.
// A database that a newer Mimo migrated past this build's newest
// migration is refused with ECONFLICT, untouched (migratekit.NotNewer).
func (s *Store) MigrateUp(ctx context.Context) ([]int64, error) {
	applied := []int64{}
	if err := s.notNewer(ctx); err != nil {
		return applied, err
	}
	var lastErr error
	for attempt := range migrateAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return applied, dbErr(ctx, ctx.Err(), "sqlite: migrate up")
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		before, err := s.SchemaVersion(ctx)
		if err != nil {
			return applied, err
		}
		p, err := s.provider(s.writer)
		if err != nil {
			return applied, err
		}
		res, err := p.Up(ctx)
		var partial *goose.PartialError
		if errors.As(err, &partial) {
			res = partial.Applied
		}
		for _, r := range res {
			applied = append(applied, r.Source.Version)
		}
		if err == nil {
			if len(res) > 0 {
				s.log.Info("sqlite: migrated", "path", s.path, "versions", applied)
			}
			return applied, nil
		}
		lastErr = err
		after, verr := s.SchemaVersion(ctx)
		if verr != nil || !(after > before || migrationRace(err)) {
			break
		}
		s.log.Info("sqlite: migration raced another process; retrying", "attempt", attempt+1, "err", err)
	}
	return applied, migrateErr(ctx, lastErr, "sqlite: migrate up")
}

// migrationRace reports whether err looks like the loss of a race with
// another migrating process rather than a broken migration.
func migrationRace(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "already exists") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "UNIQUE constraint failed")
}

// MigrateDown rolls back the newest n applied migrations (n >= 1, else
// EINVALID) and returns their versions, newest first. It stops early, with
// no error, when nothing is left to roll back. A database migrated past
// this build's newest migration is refused with ECONFLICT: only the build
// that has those migrations has their down steps.
func (s *Store) MigrateDown(ctx context.Context, n int) ([]int64, error) {
	if n < 1 {
		return nil, mimo.Errorf(mimo.EINVALID, "migrate down: the number of migrations must be at least 1")
	}
	if err := s.notNewer(ctx); err != nil {
		return nil, err
	}
	p, err := s.provider(s.writer)
	if err != nil {
		return nil, err
	}
	var done []int64
	for range n {
		res, err := p.Down(ctx)
		if errors.Is(err, goose.ErrNoNextVersion) {
			break
		}
		if err != nil {
			return done, migrateErr(ctx, err, "sqlite: migrate down")
		}
		done = append(done, res.Source.Version)
		s.log.Info("sqlite: rolled back migration", "path", s.path, "version", res.Source.Version)
	}
	return done, nil
}

// MigrationStatus lists every embedded migration, oldest first, and whether
// and when it was applied. Its Name is the file name without extension.
func (s *Store) MigrationStatus(ctx context.Context) ([]mimo.MigrationState, error) {
	p, err := s.provider(s.writer)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, migrateErr(ctx, err, "sqlite: migration status")
	}
	return migratekit.States(st), nil
}

// SchemaVersion returns the newest applied migration, 0 for a database that
// was never migrated. It only reads.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	return schemaVersion(ctx, s.reader)
}

func schemaVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
		versionTable).Scan(&n); err != nil {
		return 0, dbErr(ctx, err, "sqlite: schema version")
	}
	if n == 0 {
		return 0, nil
	}
	var v int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version_id), 0) FROM `+versionTable+` WHERE is_applied`).
		Scan(&v); err != nil {
		return 0, dbErr(ctx, err, "sqlite: schema version")
	}
	return v, nil
}

// notNewer refuses a database whose schema is newer than this build's
// newest migration (migratekit.NotNewer).
func (s *Store) notNewer(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	latest, err := latestVersion()
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "sqlite: migrations")
	}
	return migratekit.NotNewer(v, latest)
}

// latestVersion is the newest embedded migration.
func latestVersion() (int64, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest, nil
}

// migrateErr maps a goose error: database errors keep their codes, anything
// else is a broken migration, EINTERNAL.
func migrateErr(ctx context.Context, err error, what string) error {
	mapped := dbErr(ctx, err, what)
	if mimo.ErrorCode(mapped) == mimo.EINTERNAL {
		return mimo.Wrap(mimo.EINTERNAL, err, what+": migration failed")
	}
	return mapped
}
