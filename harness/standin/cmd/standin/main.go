// Command standin serves the provider stand-in of the validation harness:
// the Ollama and OpenAI protocols on one port, deterministic embeddings and
// chat answers, and the /_control/ endpoints tests use to count calls and
// inject faults. See package standin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"mimo/harness/standin"
)

const usage = `Usage: standin [flags]

Serves the Ollama protocol (/api/embed, /api/embeddings, /api/chat, /api/tags,
GET /) and the OpenAI protocol (/v1/embeddings, /v1/chat/completions,
/v1/models) on one port, with deterministic answers, and the control endpoints
under /_control/ (counters, reset, fail, slow, garbage, clear).

Every flag can be set by the environment variable named after it; the flag
wins. Logs are JSON lines on stderr. SIGTERM or SIGINT shuts down gracefully.

Flags:
`

// shutdownTimeout bounds how long answers in flight may take to finish
// after a signal.
const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run is main without the process. ready, if not nil, is told the address
// listened on once the server accepts calls. It returns the exit status: 0
// after a clean shutdown, 1 when serving fails, 2 for bad settings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(net.Addr)) int {
	fs := flag.NewFlagSet("standin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	var (
		addr      = fs.String("addr", ":11434", "listen `address` (STANDIN_ADDR)")
		dim       = fs.Int("dim", standin.DefaultDim, "embedding dimension when a request asks for none (STANDIN_DIM)")
		models    = fs.String("models", "", "comma-separated model `names` to serve; empty serves any name (STANDIN_MODELS)")
		maxTokens = fs.Int("max-input-tokens", standin.DefaultMaxInputTokens, "context length of the embedding models, in words (STANDIN_MAX_INPUT_TOKENS)")
		apiKey    = fs.String("api-key", "", "API key required on the OpenAI routes; empty requires none (STANDIN_API_KEY)")
		seed      = fs.Uint64("seed", 1, "seed of the delay jitter (STANDIN_SEED)")
		logLevel  = fs.String("log-level", "info", "debug (one line per call), info, warn or error (STANDIN_LOG_LEVEL)")
	)
	// The environment gives the defaults the flags then override.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "STANDIN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q is not valid: %v", name, v, err)
			}
		}
	})
	if envErr != nil {
		fmt.Fprintln(stderr, "standin:", envErr)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintln(stderr, "run standin --help for usage")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "standin: unexpected argument %q; run standin --help for usage\n", fs.Arg(0))
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "standin: --log-level %q is not valid: use debug, info, warn or error\n", *logLevel)
		return 2
	}
	if *dim < 1 || *dim > standin.MaxDim {
		fmt.Fprintf(stderr, "standin: --dim %d is out of range: use 1..%d\n", *dim, standin.MaxDim)
		return 2
	}
	if *maxTokens < 1 {
		fmt.Fprintf(stderr, "standin: --max-input-tokens %d is out of range: use a positive number\n", *maxTokens)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	var names []string
	for m := range strings.SplitSeq(*models, ",") {
		if m = strings.TrimSpace(m); m != "" {
			names = append(names, m)
		}
	}
	handler := standin.New(standin.Options{
		Dim: *dim, Models: names, MaxInputTokens: *maxTokens, APIKey: *apiKey, Seed: *seed, Logger: log,
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("cannot listen", "addr", *addr, "err", err)
		return 1
	}
	// Cancelled when shutdown begins, so calls held by a Slow fault end at
	// once instead of holding the shutdown up.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "dim", *dim, "models", names,
		"api_key", *apiKey != "")
	if ready != nil {
		ready(ln.Addr())
	}

	select {
	case err := <-served:
		log.Error("serving failed", "err", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	cancelBase()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown incomplete; closing", "err", err)
		_ = srv.Close()
	}
	log.Info("stopped")
	return 0
}
