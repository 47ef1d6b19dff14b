package migratekit

import (
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"

	"mimo/system"
)

func TestNewestIsTheHighestVersion(t *testing.T) {
	assert.Zero(t, Newest(nil))
	assert.Equal(t, int64(6), Newest([]*goose.Source{{Version: 2}, {Version: 6}, {Version: 4}}))
}

func TestNotNewerRefusesOnlyANewerSchema(t *testing.T) {
	assert.NoError(t, NotNewer(0, 6), "an unmigrated database")
	assert.NoError(t, NotNewer(4, 6), "an older schema, to migrate up")
	assert.NoError(t, NotNewer(6, 6))
	err := NotNewer(9, 6)
	assert.Equal(t, mimo.ECONFLICT, mimo.ErrorCode(err))
	assert.Equal(t, "the database is at schema version 9, newer than this Mimo's 6: a newer Mimo migrated it; "+
		"roll the schema back with that newer Mimo's 'mimo migrate down 3' before starting this one, or run the newer Mimo (see docs/ROLLBACK_PROCEDURE.md)",
		mimo.ErrorMessage(err))
}
