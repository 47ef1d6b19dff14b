package main

import (
	"context"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/system/mcpserver"
)

// runStdio serves MCP over the process's stdin and stdout until the client
// closes stdin or the process is told to stop. Stdout carries only the
// protocol; logs go to stderr.
func runStdio(ctx context.Context, env Env, cfg *Config, args []string) error {
	if len(args) > 0 {
		return usageErr("stdio takes no arguments, got %q", args)
	}
	log := newLogger(env, cfg)
	c, err := openCore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.close()
	srv := mcpserver.New(mcpserver.Options{Service: c.svc, Logger: log, Metrics: c.metrics, Version: Version})
	log.Info("serving MCP on stdio", "store", cfg.kind(), "version", Version)
	d := newDrain()
	err = srv.Serve(ctx, &mcp.IOTransport{Reader: d.reader(env.Stdin), Writer: d.writer(env.Stdout)})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// nopWriteCloser keeps the SDK from closing the process's stdout, which the
// command's caller owns.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
