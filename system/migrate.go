package mimo

import (
	"context"
	"time"
)

// Migrator is implemented by both stores. Migrations are embedded in each
// store's package, numbered, and every one has a working down step.
// Opening a store does not migrate it; `mimo serve` and `mimo migrate up` do.
type Migrator interface {
	// MigrateUp applies every pending migration, in order, and returns the
	// versions applied. Several processes may call it at once: it is
	// serialised so each migration runs once.
	MigrateUp(ctx context.Context) ([]int64, error)
	// MigrateDown rolls back the newest n applied migrations (n >= 1) and
	// returns the versions rolled back, newest first.
	MigrateDown(ctx context.Context, n int) ([]int64, error)
	// MigrationStatus lists every known migration and whether it is applied.
	MigrationStatus(ctx context.Context) ([]MigrationState, error)
	// SchemaVersion is the newest applied migration (0 when none).
	SchemaVersion(ctx context.Context) (int64, error)
}

// MigrationState is one migration and when it was applied (zero if not).
type MigrationState struct {
	Version   int64     `json:"version"`
	Name      string    `json:"name"`
	Applied   bool      `json:"applied"`
	AppliedAt time.Time `json:"applied_at,omitempty"`
}

// Backuper is implemented by both stores: Backup writes a consistent
// snapshot of all data to path while the store keeps serving. SQLite writes
// a database file; Postgres writes a logical snapshot (JSON lines). Restoring
// is done by each store package's Restore function.
type Backuper interface {
	Backup(ctx context.Context, path string) error
}
