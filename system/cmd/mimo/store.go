package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"mimo/system"
	"mimo/system/postgres"
	"mimo/system/sqlite"
)

// storage is an open store with the capabilities every store has.
type storage interface {
	mimo.Store
	mimo.Migrator
	mimo.Backuper
}

// dbFile is the SQLite database's name inside the data directory.
const dbFile = "mimo.db"

func (c *Config) sqlitePath() string { return filepath.Join(c.DataDir, dbFile) }

// kind names the configured store for messages and file names.
func (c *Config) kind() string {
	if c.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

func openStorage(ctx context.Context, cfg *Config, log *slog.Logger) (storage, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("MIMO_DATA_DIR=%q: cannot create it: %v; set MIMO_DATA_DIR to a writable directory", cfg.DataDir, err)
	}
	if cfg.DatabaseURL != "" {
		return postgres.Open(ctx, postgres.Options{URL: cfg.DatabaseURL, Logger: log})
	}
	return sqlite.Open(ctx, sqlite.Options{Path: cfg.sqlitePath(), Logger: log})
}

// backupPath names a new backup file in the data directory's backups folder.
func backupPath(cfg *Config, reason string) (string, error) {
	dir := filepath.Join(cfg.DataDir, "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	ext := ".db"
	if cfg.kind() == "postgres" {
		ext = ".jsonl"
	}
	name := fmt.Sprintf("%s-%s%s", reason, time.Now().UTC().Format("20060102T150405.000000000Z"), ext)
	return filepath.Join(dir, name), nil
}

// migrateUp backs the database up (when it holds data and migrations are
// pending) and then applies every pending migration. It returns the backup's
// path ("" when none was needed) and the versions applied.
func migrateUp(ctx context.Context, cfg *Config, st storage, log *slog.Logger) (string, []int64, error) {
	states, err := st.MigrationStatus(ctx)
	if err != nil {
		return "", nil, err
	}
	pending, applied := 0, 0
	for _, s := range states {
		if s.Applied {
			applied++
		} else {
			pending++
		}
	}
	backup := ""
	if pending > 0 && applied > 0 {
		if n, err := st.CountMemories(ctx, "*"); err != nil || n > 0 {
			if backup, err = backupPath(cfg, "pre-migrate"); err != nil {
				return "", nil, fmt.Errorf("cannot make the backups directory: %v", err)
			}
			if err := st.Backup(ctx, backup); err != nil {
				return "", nil, fmt.Errorf("backup before migrating failed, nothing migrated: %w", err)
			}
			log.Info("backed up before migrating", "path", backup)
		}
	}
	versions, err := st.MigrateUp(ctx)
	return backup, versions, err
}
