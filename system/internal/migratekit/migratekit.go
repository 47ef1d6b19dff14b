// Package migratekit holds what both stores' mimo.Migrator implementations
// share over goose, so `mimo migrate status` reads the same on either and
// both refuse a schema newer than the build in the same words.
package migratekit

import (
	"path"
	"strings"

	"github.com/pressly/goose/v3"

	"mimo/system"
)

// Procedure is the document an operator follows to roll Mimo back; the
// refusal of a newer schema names it.
const Procedure = "docs/ROLLBACK_PROCEDURE.md"

// States turns goose's status into mimo's, in goose's order (oldest
// first): Name is the migration's file name without its extension, and
// AppliedAt is in UTC, zero when the migration is not applied.
func States(st []*goose.MigrationStatus) []mimo.MigrationState {
	out := make([]mimo.MigrationState, 0, len(st))
	for _, m := range st {
		base := path.Base(m.Source.Path)
		ms := mimo.MigrationState{
			Version: m.Source.Version,
			Name:    strings.TrimSuffix(base, path.Ext(base)),
			Applied: m.State == goose.StateApplied,
		}
		if ms.Applied {
			ms.AppliedAt = m.AppliedAt.UTC()
		}
		out = append(out, ms)
	}
	return out
}

// Newest is the newest version among sources (goose's ListSources), 0
// when there is none: the newest schema this build knows.
func Newest(sources []*goose.Source) int64 {
	var v int64
	for _, s := range sources {
		v = max(v, s.Version)
	}
	return v
}

// NotNewer returns nil when the database's schema version dbVersion is
// at most known, the newest migration of this build. Otherwise a newer
// Mimo migrated the database, and this build can neither serve it (its
// queries do not know the new schema) nor roll it back (it has no down
// step for migrations it does not have): the error, ECONFLICT, says so in
// one line with both versions, what to do, and Procedure.
func NotNewer(dbVersion, known int64) error {
	if dbVersion <= known {
		return nil
	}
	return mimo.Errorf(mimo.ECONFLICT,
		"the database is at schema version %d, newer than this Mimo's %d: a newer Mimo migrated it; "+
			"roll the schema back with that newer Mimo's 'mimo migrate down %d' before starting this one, or run the newer Mimo (see %s)",
		dbVersion, known, dbVersion-known, Procedure)
}
