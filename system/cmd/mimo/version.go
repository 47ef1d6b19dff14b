package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"mimo/system/internal/migratekit"
)

func runVersion(ctx context.Context, env Env, cfg *Config, args []string) error {
	if len(args) > 0 {
		return usageErr("version takes no arguments")
	}
	fmt.Fprintf(env.Stdout, "mimo %s\n", Version)
	fmt.Fprintf(env.Stdout, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.time" || s.Key == "vcs.modified" {
				fmt.Fprintf(env.Stdout, "%s: %s\n", s.Key, s.Value)
			}
		}
	}
	// Report the schema only of a database that exists: version must not
	// create one.
	if cfg.kind() == "sqlite" {
		if _, err := os.Stat(cfg.sqlitePath()); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(env.Stdout, "database: none yet at %s\n", cfg.sqlitePath())
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := openStorage(ctx, cfg, newLogger(env, cfg))
	if err != nil {
		fmt.Fprintf(env.Stdout, "database: %s, unreachable: %v\n", cfg.kind(), err)
		return nil
	}
	defer st.Close()
	states, err := st.MigrationStatus(ctx)
	if err != nil {
		fmt.Fprintf(env.Stdout, "database: %s, schema unknown: %v\n", cfg.kind(), err)
		return nil
	}
	var latest int64
	for _, s := range states {
		latest = max(latest, s.Version)
	}
	// The database's own record, which may name migrations this build
	// does not have (a newer Mimo's).
	applied, err := st.SchemaVersion(ctx)
	if err != nil {
		fmt.Fprintf(env.Stdout, "database: %s, schema unknown: %v\n", cfg.kind(), err)
		return nil
	}
	fmt.Fprintf(env.Stdout, "schema: %d (this build's newest migration)\ndatabase: %s at schema %d", latest, cfg.kind(), applied)
	if applied > latest {
		fmt.Fprintf(env.Stdout, ", newer than this build: it will not serve it (see %s)", migratekit.Procedure)
	}
	fmt.Fprintln(env.Stdout)
	return nil
}
