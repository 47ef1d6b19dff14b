package pgtest_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system/postgres/pgtest"
)

// Each URL names a new, empty database that is dropped when its test ends.
func TestURLGivesAFreshDatabaseAndDropsIt(t *testing.T) {
	server := pgtest.ServerURL(t)
	ctx := context.Background()
	var names []string
	t.Run("use", func(t *testing.T) {
		for range 2 {
			u := pgtest.URL(t)
			conn, err := pgx.Connect(ctx, u)
			require.NoError(t, err)
			var db string
			var tables int
			require.NoError(t, conn.QueryRow(ctx, `SELECT current_database(),
				(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&db, &tables))
			assert.Zero(t, tables, "the database is empty")
			pu, err := url.Parse(u)
			require.NoError(t, err)
			assert.Equal(t, "/"+db, pu.Path)
			names = append(names, db)
			// Left open on purpose: the drop must not wait for it.
		}
		assert.NotEqual(t, names[0], names[1], "every call gets its own database")
	})
	conn, err := pgx.Connect(ctx, server)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for _, name := range names {
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n))
		assert.Zero(t, n, "%s is dropped when its test ends", name)
	}
}

// helperEnv marks the re-executed test binary that runs TestHelperNoServer.
const helperEnv = "PGTEST_HELPER"

// TestHelperNoServer only runs inside TestNoServer's child process.
func TestHelperNoServer(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper for TestNoServer")
	}
	pgtest.URL(t)
	t.Log("URL returned without a server")
}

// Without MIMO_TEST_POSTGRES_URL a test is skipped, with the way to start a
// server in the message; under CI it fails instead.
func TestNoServer(t *testing.T) {
	run := func(ci string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNoServer$", "-test.v")
		env := []string{helperEnv + "=1"}
		for _, kv := range os.Environ() {
			if !hasKey(kv, pgtest.EnvURL) && !hasKey(kv, "CI") && !hasKey(kv, helperEnv) {
				env = append(env, kv)
			}
		}
		if ci != "" {
			env = append(env, "CI="+ci)
		}
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run("")
	require.NoError(t, err, out)
	assert.Contains(t, out, "--- SKIP: TestHelperNoServer")
	assert.Contains(t, out, "scripts/test-postgres.sh start")
	assert.NotContains(t, out, "URL returned")

	out, err = run("true")
	require.Error(t, err, "a missing server fails under CI")
	assert.Contains(t, out, "--- FAIL: TestHelperNoServer")
	assert.Contains(t, out, "required under CI")
	assert.NotContains(t, out, "URL returned")
}

func hasKey(kv, key string) bool {
	return len(kv) > len(key) && kv[:len(key)+1] == key+"="
}
