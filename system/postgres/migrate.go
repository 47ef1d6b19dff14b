package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"path"
	"slices"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	mimo "mimo/system"
	"mimo/system/internal/migratekit"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the session advisory lock that serialises migrations
// across replicas; goose's default, distinct from changeLockKey.
const migrationLockID = lock.DefaultLockID

// provider opens a dedicated connection pool for goose and returns a
// provider over the embedded migrations, with the session locker so that
// several replicas migrating at once apply each migration once. The caller
// closes the returned *sql.DB, which also releases the session lock should
// an unlock ever fail.
func (s *Store) provider() (*goose.Provider, *sql.DB, error) {
	if s.closed.Load() {
		return nil, nil, errClosed()
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, nil, err
	}
	// Poll for the lock every second, for up to five minutes: replicas
	// starting together wait for the first one's migrations.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDB(*s.connConfig.Copy())
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithSlog(s.log),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return p, db, nil
}

// MigrateUp applies every pending migration, in order, and returns the
// versions applied. Replicas calling it at once are serialised by a session
// advisory lock: one applies, the others then find nothing pending. It is
// bounded by ctx only. A database that a newer Mimo migrated past this
// build's newest migration is refused with ECONFLICT, untouched
// (migratekit.NotNewer).
func (s *Store) MigrateUp(ctx context.Context) ([]int64, error) {
	p, db, err := s.provider()
	if err != nil {
		return nil, s.mapError(err, "migrate up")
	}
	defer db.Close()
	if err := s.notNewer(ctx, p); err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, s.mapError(migrationCause(err), "migrate up")
	}
	versions := make([]int64, 0, len(res))
	for _, r := range res {
		s.log.Info("migration applied", "version", r.Source.Version, "file", path.Base(r.Source.Path), "duration", r.Duration)
		versions = append(versions, r.Source.Version)
	}
	return versions, nil
}

// MigrateDown rolls back the newest n applied migrations (n >= 1, else
// EINVALID; fewer when fewer are applied) and returns their versions,
// newest first. It is bounded by ctx only. A database migrated past this
// build's newest migration is refused with ECONFLICT: only the build that
// has those migrations has their down steps.
func (s *Store) MigrateDown(ctx context.Context, n int) ([]int64, error) {
	if n < 1 {
		return nil, mimo.Errorf(mimo.EINVALID, "the number of migrations to roll back must be at least 1")
	}
	p, db, err := s.provider()
	if err != nil {
		return nil, s.mapError(err, "migrate down")
	}
	defer db.Close()
	if err := s.notNewer(ctx, p); err != nil {
		return nil, err
	}
	states, err := p.Status(ctx)
	if err != nil {
		return nil, s.mapError(migrationCause(err), "migrate down")
	}
	var applied []int64
	for _, st := range states {
		if st.State == goose.StateApplied {
			applied = append(applied, st.Source.Version)
		}
	}
	slices.Sort(applied)
	target := int64(0)
	if n < len(applied) {
		target = applied[len(applied)-n-1]
	}
	res, err := p.DownTo(ctx, target)
	if err != nil {
		return nil, s.mapError(migrationCause(err), "migrate down")
	}
	versions := make([]int64, 0, len(res))
	for _, r := range res {
		s.log.Info("migration rolled back", "version", r.Source.Version, "file", path.Base(r.Source.Path), "duration", r.Duration)
		versions = append(versions, r.Source.Version)
	}
	return versions, nil
}

// MigrationStatus lists every embedded migration, oldest first, and whether
// and when it was applied. Its Name is the file name without extension.
func (s *Store) MigrationStatus(ctx context.Context) ([]mimo.MigrationState, error) {
	p, db, err := s.provider()
	if err != nil {
		return nil, s.mapError(err, "migration status")
	}
	defer db.Close()
	ctx, cancel := s.bound(ctx)
	defer cancel()
	states, err := p.Status(ctx)
	if err != nil {
		return nil, s.mapError(migrationCause(err), "migration status")
	}
	return migratekit.States(states), nil
}

// SchemaVersion returns the newest applied migration, 0 when none.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, db, err := s.provider()
	if err != nil {
		return 0, s.mapError(err, "schema version")
	}
	defer db.Close()
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, s.mapError(migrationCause(err), "schema version")
	}
	return v, nil
}

// notNewer refuses a database whose schema is newer than the newest
// migration p knows (migratekit.NotNewer).
func (s *Store) notNewer(ctx context.Context, p *goose.Provider) error {
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return s.mapError(migrationCause(err), "schema version")
	}
	return migratekit.NotNewer(v, migratekit.Newest(p.ListSources()))
}

// migrationCause unwraps goose's partial-migration error so the database
// error inside it is classified.
func migrationCause(err error) error {
	var pe *goose.PartialError
	if errors.As(err, &pe) && pe.Err != nil {
		return pe.Err
	}
	return err
}
