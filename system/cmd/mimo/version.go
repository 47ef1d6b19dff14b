package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"
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
	var applied, latest int64
	for _, s := range states {
		latest = max(latest, s.Version)
		if s.Applied {
			applied = max(applied, s.Version)
		}
	}
	fmt.Fprintf(env.Stdout, "schema: %d (this build's newest migration)\ndatabase: %s at schema %d\n", latest, cfg.kind(), applied)
	return nil
}
