// Package pgtest gives tests a fresh, empty Postgres database of their own.
//
// The server is named by the environment variable MIMO_TEST_POSTGRES_URL, a
// postgres:// URL of a role that may create databases. Without it the tests
// that need Postgres are skipped, except under CI (CI=true), where a missing
// server is a failure: a skipped suite must never pass for a green run.
//
//	export MIMO_TEST_POSTGRES_URL="$(scripts/test-postgres.sh start)"
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the environment variable naming the test server.
const EnvURL = "MIMO_TEST_POSTGRES_URL"

// adminTimeout bounds each CREATE or DROP DATABASE, so a dead server fails
// the test instead of hanging it.
const adminTimeout = 30 * time.Second

// ServerURL returns the URL in MIMO_TEST_POSTGRES_URL. When it is unset it
// skips the test, or fails it when CI=true.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u != "" {
		return u
	}
	const how = EnvURL + ` is not set; start a test server with: export ` + EnvURL + `="$(scripts/test-postgres.sh start)"`
	if os.Getenv("CI") == "true" {
		t.Fatal("Postgres is required under CI: " + how)
	}
	t.Skip("skipping Postgres test: " + how)
	return ""
}

// URL creates an empty database with a unique name on the test server and
// returns its URL. The database is dropped, with FORCE (disconnecting any
// session left open), when the test ends. See ServerURL for what happens when
// no server is configured.
func URL(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	name := "mimo_test_" + randomHex()
	dbURL, err := withDatabase(server, name)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	if err := admin(server, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := admin(server, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dbURL
}

// admin runs one statement on the server's own database.
func admin(server, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns server with its database replaced by name.
func withDatabase(server, name string) (string, error) {
	if !strings.HasPrefix(server, "postgres://") && !strings.HasPrefix(server, "postgresql://") {
		return "", errNotURL
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

var errNotURL = errors.New("want a postgres:// URL")

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}
