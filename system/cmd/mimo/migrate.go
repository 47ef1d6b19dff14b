package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
)

func runMigrate(ctx context.Context, env Env, cfg *Config, args []string) error {
	if len(args) == 0 {
		return usageErr("migrate needs up, down [N] or status")
	}
	log := newLogger(env, cfg)
	st, err := openStorage(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "up":
		if len(args) > 1 {
			return usageErr("migrate up takes no more arguments")
		}
		backup, versions, err := migrateUp(ctx, cfg, st, log)
		if backup != "" {
			fmt.Fprintf(env.Stdout, "backed up to %s\n", backup)
		}
		if err != nil {
			return err
		}
		if len(versions) == 0 {
			fmt.Fprintln(env.Stdout, "schema is up to date")
		}
		for _, v := range versions {
			fmt.Fprintf(env.Stdout, "applied %d\n", v)
		}
		return nil
	case "down":
		n := 1
		if len(args) > 2 {
			return usageErr("migrate down takes at most one number")
		}
		if len(args) == 2 {
			if n, err = strconv.Atoi(args[1]); err != nil || n < 1 {
				return usageErr("migrate down N: N must be a whole number of at least 1, got %q", args[1])
			}
		}
		versions, err := st.MigrateDown(ctx, n)
		for _, v := range versions {
			fmt.Fprintf(env.Stdout, "rolled back %d\n", v)
		}
		return err
	case "status":
		states, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tAPPLIED\tNAME")
		for _, s := range states {
			applied := "pending"
			if s.Applied {
				applied = "yes"
				if !s.AppliedAt.IsZero() {
					applied = s.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, applied, s.Name)
		}
		return tw.Flush()
	}
	return usageErr("migrate %q: want up, down [N] or status", args[0])
}
