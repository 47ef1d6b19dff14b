package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stampNewer records version as applied in the configured database, as a
// newer Mimo with migrations this build lacks would have left it.
func stampNewer(t *testing.T, vars map[string]string, version int64) {
	t.Helper()
	const q = "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)"
	if url := vars["MIMO_DATABASE_URL"]; url != "" {
		conn, err := pgx.Connect(t.Context(), url)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(t.Context(), q, version)
		require.NoError(t, err)
		return
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(vars["MIMO_DATA_DIR"], dbFile))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(t.Context(), q, version)
	require.NoError(t, err)
}

// A Mimo started on a database that a newer Mimo migrated refuses to
// serve it: exit 1 and one line with both schema versions, the command
// that rolls the schema back and the rollback procedure. It cannot roll
// back what it has no down steps for either; status and version still
// read the database.
func TestRefusesASchemaNewerThanItKnows(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			vars := b.env(t)
			vars["MIMO_DATA_DIR"] = t.TempDir()
			vars["MIMO_ADDR"] = "127.0.0.1:0"
			vars["MIMO_LOG_LEVEL"] = "error"
			code, out, errOut := runCLI(t, vars, "migrate", "up")
			require.Equal(t, 0, code, errOut)
			newest := int64(strings.Count(out, "applied "))
			require.Positive(t, newest)
			stampNewer(t, vars, newest+1)

			for _, args := range [][]string{{"serve"}, {"stdio"}, {"migrate", "up"}, {"migrate", "down"}} {
				code, _, errOut := runCLI(t, vars, args...)
				assert.Equal(t, 1, code, "%v: %s", args, errOut)
				line := refusal(errOut, "mimo "+args[0]+": ")
				require.NotEmpty(t, line, "%v: no line of its own in %q", args, errOut)
				for _, want := range []string{
					"schema version " + itoa(newest+1), "this Mimo's " + itoa(newest),
					"'mimo migrate down 1'", "docs/ROLLBACK_PROCEDURE.md",
				} {
					assert.Contains(t, line, want, "%v", args)
				}
			}

			code, out, errOut = runCLI(t, vars, "migrate", "status")
			require.Equal(t, 0, code, errOut)
			assert.NotContains(t, out, "pending")
			code, out, errOut = runCLI(t, vars, "version")
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "at schema "+itoa(newest+1)+", newer than this build")
		})
	}
}

// refusal is the line of stderr that starts with prefix ("" if none).
func refusal(stderr, prefix string) string {
	for line := range strings.Lines(stderr) {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
