package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mimo/harness/standin"
)

// askScript is wrk's script for POST /api/ask: "who owns the <team>
// <project> work?" over the corpus's words, with ASK_THINK_MS of think time
// between a connection's answers.
//
//go:embed ask.lua
var askScript []byte

// AskOptions says how to load POST /api/ask with wrk.
type AskOptions struct {
	// URL is the server's base URL. Required.
	URL string
	// Wrk is the wrk executable; "" means "wrk" on PATH.
	Wrk string
	// Script is the path of the Lua script (askScript written out).
	// Required.
	Script string
	// Duration is each run's length; zero means 20 s.
	Duration time.Duration
	// Connections is wrk's -c; zero means 100.
	Connections int
	// Threads is wrk's -t; zero means 2.
	Threads int
	// ThinkMs is each connection's wait between an answer and its next
	// question, in milliseconds; zero is a closed loop.
	ThinkMs int
}

func (o AskOptions) withDefaults() AskOptions {
	if o.Wrk == "" {
		o.Wrk = "wrk"
	}
	if o.Duration <= 0 {
		o.Duration = 20 * time.Second
	}
	if o.Connections <= 0 {
		o.Connections = 100
	}
	if o.Threads <= 0 {
		o.Threads = 2
	}
	return o
}

// AskResult is what one wrk run against /api/ask measured: wrk's latency
// distribution (from sending a request to its answer), in milliseconds,
// and its rate of answers.
type AskResult struct {
	Connections int       `json:"connections"`
	ThinkMs     int       `json:"think_ms"`
	Seconds     float64   `json:"seconds"`
	LoadBefore  []float64 `json:"load_average_before"`
	Requests    int64     `json:"requests"`
	PerSecond   float64   `json:"per_second"`
	P50Ms       float64   `json:"p50_ms"`
	P75Ms       float64   `json:"p75_ms"`
	P90Ms       float64   `json:"p90_ms"`
	P99Ms       float64   `json:"p99_ms"`
	// Non2xx counts answers that were not 2xx or 3xx, SocketErrors
	// connect, read, write errors and timeouts.
	Non2xx       int64 `json:"non_2xx"`
	SocketErrors int64 `json:"socket_errors"`
}

// wrkTimeout is wrk's per-request timeout. Its default, 2 s, drops every
// slower answer from the distribution as a socket error, which hides the
// tail of a server that is far over its promise.
const wrkTimeout = "30s"

// checkWrk reports a clear error when wrk cannot be run.
func checkWrk(path string) (string, error) {
	if path == "" {
		path = "wrk"
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("the /api/ask runs need wrk (apt-get install wrk), or --ask-duration 0 to skip them: %w", err)
	}
	return p, nil
}

// runAsk runs wrk once as o says and parses its report.
func runAsk(ctx context.Context, o AskOptions) (AskResult, error) {
	o = o.withDefaults()
	res := AskResult{Connections: o.Connections, ThinkMs: o.ThinkMs, LoadBefore: readLoadAverage()}
	cmd := exec.CommandContext(ctx, o.Wrk, "-t", strconv.Itoa(o.Threads), "-c", strconv.Itoa(o.Connections),
		"-d", fmt.Sprintf("%ds", max(1, int(o.Duration.Round(time.Second).Seconds()))),
		"--timeout", wrkTimeout, "--latency", "-s", o.Script, o.URL+"/")
	cmd.Env = append(os.Environ(), "ASK_THINK_MS="+strconv.Itoa(o.ThinkMs))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("wrk: %v\n%s%s", err, stdout.Bytes(), stderr.Bytes())
	}
	r, err := parseWrk(stdout.String())
	if err != nil {
		return res, fmt.Errorf("wrk: %w\n%s", err, stdout.Bytes())
	}
	r.Connections, r.ThinkMs, r.LoadBefore = res.Connections, res.ThinkMs, res.LoadBefore
	return r, nil
}

// parseWrk reads wrk's report (run with --latency): the latency
// distribution, the requests and seconds, errors and Requests/sec. A
// report without the distribution or the rate is an error.
func parseWrk(out string) (AskResult, error) {
	var r AskResult
	var sawRate bool
	pcts := map[string]*float64{"50%": &r.P50Ms, "75%": &r.P75Ms, "90%": &r.P90Ms, "99%": &r.P99Ms}
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && pcts[f[0]] != nil:
			v, err := wrkDuration(f[1])
			if err != nil {
				return r, err
			}
			*pcts[f[0]] = v
			seen++
		case len(f) >= 5 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("requests %q: %w", f[0], err)
			}
			d, err := wrkDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return r, err
			}
			r.Requests, r.Seconds = n, round(d/1000, 3)
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, err := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				if err != nil {
					return r, fmt.Errorf("socket errors %q: %w", sc.Text(), err)
				}
				r.SocketErrors += n
			}
		case len(f) == 5 && f[0] == "Non-2xx":
			n, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				return r, fmt.Errorf("non-2xx %q: %w", f[4], err)
			}
			r.Non2xx = n
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("requests/sec %q: %w", f[1], err)
			}
			r.PerSecond, sawRate = round(v, 1), true
		}
	}
	if seen != len(pcts) {
		return r, errors.New("no latency distribution in wrk's report (was it run with --latency?)")
	}
	if !sawRate {
		return r, errors.New("no Requests/sec in wrk's report")
	}
	return r, nil
}

// wrkDuration parses one of wrk's durations ("812.00us", "5.08ms", "1.20s",
// "1.00m", "1.00h") into milliseconds.
func wrkDuration(s string) (float64, error) {
	units := []struct {
		suffix string
		ms     float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60_000}, {"h", 3_600_000}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			return round(v*u.ms, 3), nil
		}
	}
	return 0, fmt.Errorf("duration %q has no unit", s)
}

// llmService is the harness's stand-in serving the OpenAI chat protocol
// with no delay, as the LLM the ask runs answer with.
type llmService struct {
	srv *http.Server
	env []string
}

func startLLMService() (*llmService, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &llmService{srv: &http.Server{Handler: standin.New(standin.Options{}), ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = l.srv.Serve(ln) }()
	l.env = []string{"MIMO_LLM=openai", "MIMO_LLM_URL=http://" + ln.Addr().String() + "/v1", "MIMO_LLM_MODEL=" + standin.DefaultChatModel}
	return l, nil
}

func (l *llmService) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		_ = l.srv.Close()
	}
}

// writeAskScript writes askScript into dir and returns its path.
func writeAskScript(dir string) (string, error) {
	p := filepath.Join(dir, "ask.lua")
	return p, os.WriteFile(p, askScript, 0o644)
}
