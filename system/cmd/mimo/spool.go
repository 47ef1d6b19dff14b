package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"mimo/system/memory"
	"mimo/system/spool"
)

// spoolStartTimeout bounds the replay of an earlier run's queued writes
// before serving; what is left is applied by the drainer in the
// background.
const spoolStartTimeout = time.Minute

// openSpool opens the write spool in the data directory. Another Mimo
// process on the same data directory (desktop windows each start
// `mimo stdio`) may hold it: this one then runs without a spool, and its
// writes while the database is down answer 503 rather than queue. A spool
// damaged other than in its last record stops start-up: dropping records
// would lose writes that were acknowledged.
func openSpool(cfg *Config, log *slog.Logger) (*spool.Spool, error) {
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(cfg.DataDir, "spool"), MaxBytes: cfg.SpoolMax, Logger: log})
	switch {
	case errors.Is(err, spool.ErrLocked):
		log.Warn("another Mimo process holds the write spool of this data directory; writes while the database is down get 503 here", "dir", filepath.Join(cfg.DataDir, "spool"))
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("opening the write spool (MIMO_DATA_DIR/spool): %w", err)
	}
	if n := sp.Pending(); n > 0 {
		log.Info("writes queued by an earlier run are waiting for the database", "pending", n, "bytes", sp.Bytes())
	}
	return sp, nil
}

// drainAtStart applies what an earlier run queued before the server
// starts answering, so that its writes are in the database (and found by
// reads) from the first request. If the database fails, or the replay
// takes too long, the drainer carries on in the background.
func drainAtStart(ctx context.Context, svc *memory.Service, sp *spool.Spool, log *slog.Logger) {
	if sp == nil || sp.Pending() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, spoolStartTimeout)
	defer cancel()
	if n, err := svc.Drain(ctx); err != nil {
		log.Warn("queued writes not all applied at start; the drainer goes on in the background", "applied", n, "pending", sp.Pending(), "err", err)
	}
}

func closeSpool(sp *spool.Spool) {
	if sp != nil {
		_ = sp.Close()
	}
}
