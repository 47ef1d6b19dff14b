package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mimo/system/embed"
	"mimo/system/httpapi"
	"mimo/system/index"
	"mimo/system/memory"
	"mimo/system/metrics"
)

// shutdownGrace is how long in-flight requests get to finish on SIGTERM.
const shutdownGrace = 10 * time.Second

func newLogger(env Env, cfg *Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.logLevel()}))
}

func runServe(ctx context.Context, env Env, cfg *Config, args []string) error {
	if len(args) > 0 {
		return usageErr("serve takes no arguments, got %q", args)
	}
	log := newLogger(env, cfg)
	started := time.Now()

	st, err := openStorage(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, versions, err := migrateUp(ctx, cfg, st, log); err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	} else if len(versions) > 0 {
		log.Info("migrated", "versions", versions)
	}

	reg := prometheus.NewRegistry()
	met := metrics.New(metrics.Options{Registerer: reg, Version: Version})

	emb := embed.NewBuiltin(embed.BuiltinOptions{Dim: cfg.EmbedDim})
	idx := index.New(index.Options{Dim: emb.Dim()})
	follower := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Logger: log, Model: emb.Model()})
	svc, err := memory.New(memory.Options{
		Store: st, Embedder: emb, Index: idx, Follower: follower,
		Provider: cfg.Embedder, Metrics: met, Logger: log,
	})
	if err != nil {
		return err
	}
	defer svc.Close()

	// The index loads in the background so the server is ready at once;
	// until it is loaded, search ranks by words only and /health says so.
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	go func() {
		t := time.Now()
		if err := follower.Load(loadCtx); err != nil {
			if loadCtx.Err() == nil {
				log.Error("loading the vector index failed; search uses words only", "err", err)
			}
			return
		}
		log.Info("vector index loaded", "vectors", idx.Len(), "seconds", time.Since(t).Seconds())
	}()

	api := httpapi.New(httpapi.Options{
		Service:   svc,
		Logger:    log,
		Metrics:   met,
		Gatherer:  reg,
		APIKey:    cfg.APIKey,
		RateLimit: cfg.RateLimit,
		Version:   Version,
		Ready:     st.Ping,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("MIMO_ADDR=%q: cannot listen: %v; choose a free port or another address", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().String()
	log.Info("listening", "addr", addr, "store", cfg.kind(), "version", Version, "ready_seconds", time.Since(started).Seconds())
	if env.OnListen != nil {
		env.OnListen(addr)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
