package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"mimo/system"

	"mimo/system/postgres"
	"mimo/system/sqlite"
)

func runBackup(ctx context.Context, env Env, cfg *Config, args []string) error {
	if len(args) != 1 {
		return usageErr("backup needs exactly one FILE")
	}
	if cfg.kind() == "sqlite" {
		if _, err := os.Stat(cfg.sqlitePath()); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no database at %s to back up; check MIMO_DATA_DIR", cfg.sqlitePath())
		}
	}
	log := newLogger(env, cfg)
	st, err := openStorage(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s database to %s\n", cfg.kind(), args[0])
	return nil
}

func runRestore(ctx context.Context, env Env, cfg *Config, args []string) error {
	force := cfg.Cmd.Force
	if len(args) != 1 {
		return usageErr("restore needs exactly one FILE")
	}
	file := args[0]
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("cannot read backup %s: %v", file, err)
	}
	if cfg.kind() == "sqlite" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return err
		}
		if err := sqlite.Restore(ctx, file, cfg.sqlitePath(), force); err != nil {
			return restoreErr(err)
		}
		fmt.Fprintf(env.Stdout, "restored %s into %s\n", file, cfg.sqlitePath())
		return nil
	}
	log := newLogger(env, cfg)
	st, err := openStorage(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, _, err := migrateUp(ctx, cfg, st, log); err != nil {
		return fmt.Errorf("migrating before restore: %w", err)
	}
	pg, ok := st.(*postgres.Store)
	if !ok {
		return fmt.Errorf("restore is not supported for this store")
	}
	if err := pg.Restore(ctx, file, force); err != nil {
		return restoreErr(err)
	}
	fmt.Fprintf(env.Stdout, "restored %s into the postgres database\n", file)
	return nil
}

// restoreErr names the flag that overrides a refusal to replace data.
func restoreErr(err error) error {
	if mimo.ErrorCode(err) == mimo.ECONFLICT {
		// The store says "use force"; the command's spelling of it is the flag.
		msg := strings.Replace(mimo.ErrorMessage(err), "use force to replace", "run 'mimo restore --force FILE' to replace", 1)
		return errors.New(msg)
	}
	return err
}
