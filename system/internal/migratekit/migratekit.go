// Package migratekit holds what both stores' mimo.Migrator implementations
// share over goose, so `mimo migrate status` reads the same on either.
package migratekit

import (
	"path"
	"strings"

	"github.com/pressly/goose/v3"

	"mimo/system"
)

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
