package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"mimo/system/httpapi"
	"mimo/system/mcpserver"
)

// shutdownGrace is how long in-flight requests get to finish on SIGTERM.
const shutdownGrace = 10 * time.Second

func newLogger(env Env, cfg *Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.logLevel()}))
}

// listenCause is the reason within a listen error ("address already in
// use"), without the operation and address the message names already.
func listenCause(err error) error {
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Err != nil {
		return op.Err
	}
	return err
}

func runServe(ctx context.Context, env Env, cfg *Config, args []string) error {
	if len(args) > 0 {
		return usageErr("serve takes no arguments, got %q", args)
	}
	log := newLogger(env, cfg)
	started := time.Now()

	// The address is taken first: a bad one or a port in use is a setting
	// to fix, told in one line before anything is opened.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return settingErr("MIMO_ADDR=%q: cannot listen: %v; choose a free port or another address", cfg.Addr, listenCause(err))
	}
	defer func() { _ = ln.Close() }()

	c, err := openCore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.close()
	tools := mcpserver.New(mcpserver.Options{Service: c.svc, Logger: log, Metrics: c.metrics, Version: Version})

	api := httpapi.New(httpapi.Options{
		Service:   c.svc,
		Logger:    log,
		Metrics:   c.metrics,
		Gatherer:  c.reg,
		APIKey:    cfg.APIKey,
		RateLimit: cfg.RateLimit,
		Version:   Version,
		Ready:     c.svc.Ready,
		MCP:       tools.Handler(),
	})
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
