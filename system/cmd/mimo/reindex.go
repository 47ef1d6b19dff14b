package main

import (
	"context"
	"fmt"
	"time"

	"mimo/system/memory"
)

// runReindex re-embeds, with the configured embedder, every memory whose
// vector is not that embedder's model and dimension (or that has none), in
// batches. The work list is the store itself, so an interrupted run is
// continued by running it again. Servers sharing the store pick the new
// vectors up from the change log; start them with the new embedder
// settings once it is done (they refuse to start while vectors of another
// model remain).
func runReindex(ctx context.Context, env Env, cfg *Config, args []string) error {
	if len(args) > 0 {
		return usageErr("reindex takes no arguments, got %q", args)
	}
	log := newLogger(env, cfg)
	st, err := openStorage(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, _, err := migrateUp(ctx, cfg, st, log); err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	}
	emb, err := newEmbedder(cfg)
	if err != nil {
		return err
	}
	began := time.Now()
	p := newProgress(env.Stderr, "re-embedded")
	var shown int64
	res, err := memory.Reembed(ctx, memory.ReembedOptions{Store: st, Embedder: emb, Logger: log, Progress: func(done, total int64) {
		p.add(int(done - shown))
		shown = done
	}})
	p.done()
	if err != nil {
		return fmt.Errorf("stopped after re-embedding %d of %d memories: %w; run 'mimo reindex' again to continue", res.Done, res.Total, err)
	}
	if res.Skipped > 0 {
		return fmt.Errorf("re-embedded %d of %d memories; the embedder refused %d of them on their own (the log names them), which keep their old vectors; run 'mimo reindex' again once the embedder takes them",
			res.Done, res.Total, res.Skipped)
	}
	fmt.Fprintf(env.Stdout, "reindexed: %d memories re-embedded with %s (%d dimensions) in %.1f s\n",
		res.Done, emb.Model(), emb.Dim(), time.Since(began).Seconds())
	return nil
}
