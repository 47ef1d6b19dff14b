package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerOptions says how to start `mimo serve`.
type ServerOptions struct {
	// Binary is the mimo executable. Required.
	Binary string
	// DataDir is MIMO_DATA_DIR. Required: the benchmark never lets the
	// server fall back to the user's own data directory.
	DataDir string
	// DatabaseURL is MIMO_DATABASE_URL; "" means SQLite in DataDir.
	DatabaseURL string
	// Env holds more settings, NAME=value (the embedder's).
	Env []string
	// Log receives the server's stderr (its JSON log lines); nil discards.
	Log io.Writer
	// StartTimeout bounds the wait for the "listening" log line; zero
	// means 60 s.
	StartTimeout time.Duration
	// Logger reports process events; nil discards.
	Logger *slog.Logger
}

// Server is a running `mimo serve` child process.
type Server struct {
	// URL is the server's base URL, http://host:port.
	URL string
	// Started is the instant just before the process was started.
	Started time.Time
	// Listening is the time from Started until the "listening" log line
	// was read.
	Listening time.Duration
	// SelfReportedReady is the server's own start-up time in seconds, as it
	// logs it in the "listening" line (0 if it does not).
	SelfReportedReady float64

	cmd  *exec.Cmd
	log  *slog.Logger
	done chan struct{} // closed when the process has exited
	err  error         // the process's exit status, set before done closes
	tail *tailBuffer
}

// serverEnv is the environment of the child: the caller's, without any
// MIMO_* setting (an API key or address in the shell would skew or break
// the run), plus the benchmark's own settings.
func serverEnv(o ServerOptions) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MIMO_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"MIMO_ADDR=127.0.0.1:0", // a free port, learnt from the log line
		"MIMO_DATA_DIR="+o.DataDir,
		"MIMO_RATE_LIMIT=off", // the benchmark is one client far above any sane limit
	)
	if o.DatabaseURL != "" {
		env = append(env, "MIMO_DATABASE_URL="+o.DatabaseURL)
	}
	return append(env, o.Env...)
}

// startServer starts `mimo serve` and returns once it logs that it
// listens. It fails if the process exits first, or after StartTimeout.
func startServer(ctx context.Context, o ServerOptions) (*Server, error) {
	if o.Binary == "" || o.DataDir == "" {
		return nil, errors.New("startServer: Binary and DataDir are required")
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cmd := exec.Command(o.Binary, "serve")
	cmd.Env = serverEnv(o)
	cmd.Stdout = io.Discard
	// If the benchmark dies, the server must not outlive it holding the
	// data directory or the database.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, log: o.Logger, done: make(chan struct{}), tail: &tailBuffer{max: 30}}
	s.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s serve: %w", o.Binary, err)
	}
	listening := make(chan listenLine, 1)
	go func() {
		s.readLog(stderr, o.Log, listening)
		s.err = cmd.Wait()
		close(s.done)
	}()

	timer := time.NewTimer(o.StartTimeout)
	defer timer.Stop()
	select {
	case l := <-listening:
		s.Listening = time.Since(s.Started)
		s.URL = "http://" + l.Addr
		s.SelfReportedReady = l.ReadySeconds
		o.Logger.Info("mimo serve listening", "url", s.URL, "pid", cmd.Process.Pid)
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("mimo serve exited before listening (%v); its last log lines:\n%s", s.err, s.tail)
	case <-timer.C:
		_ = s.Stop(5 * time.Second)
		return nil, fmt.Errorf("mimo serve did not listen within %s; its last log lines:\n%s", o.StartTimeout, s.tail)
	case <-ctx.Done():
		_ = s.Stop(5 * time.Second)
		return nil, ctx.Err()
	}
}

// listenLine is the part of the "listening" log line the benchmark reads.
type listenLine struct {
	Msg          string  `json:"msg"`
	Addr         string  `json:"addr"`
	ReadySeconds float64 `json:"ready_seconds"`
}

// readLog copies the server's log to w, keeps its tail for error messages
// and reports the first "listening" line. It reads to EOF so the server
// never blocks on a full pipe.
func (s *Server) readLog(r io.Reader, w io.Writer, listening chan<- listenLine) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	sent := false
	for sc.Scan() {
		line := sc.Bytes()
		_, _ = fmt.Fprintf(w, "%s\n", line)
		s.tail.add(string(line))
		if sent {
			continue
		}
		var l listenLine
		if json.Unmarshal(line, &l) == nil && l.Msg == "listening" && l.Addr != "" {
			listening <- l
			sent = true
		}
	}
	// A scanner error (a line over 4 MiB) must not stop the pipe being
	// drained, or the server would block writing its log.
	_, _ = io.Copy(w, r)
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (s *Server) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM and waits for the process to exit. After timeout it
// sends SIGKILL and returns an error: a server that does not stop on
// SIGTERM is a finding, not a detail.
func (s *Server) Stop(timeout time.Duration) error {
	if exited, _ := s.Exited(); exited {
		return s.exitErr()
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-s.done:
		return s.exitErr()
	case <-timer.C:
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("mimo serve did not stop within %s of SIGTERM and was killed; its last log lines:\n%s", timeout, s.tail)
	}
}

// exitErr is nil for a clean exit after SIGTERM, else the exit status with
// the log tail.
func (s *Server) exitErr() error {
	if s.err == nil {
		return nil
	}
	return fmt.Errorf("mimo serve exited with %v; its last log lines:\n%s", s.err, s.tail)
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
