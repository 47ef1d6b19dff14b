package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// requestTimeout bounds one request; it is the top of the histogram, so a
// request that takes longer is an error, not a latency.
const requestTimeout = 60 * time.Second

// pollInterval is how often start-up is polled. It is the resolution of
// the start-up figures, not a wait for a condition in a test.
const pollInterval = 5 * time.Millisecond

// newClient returns an HTTP client that keeps conns connections open to the
// server, so a closed-loop client reuses its connection as a real one does
// instead of measuring TCP set-up.
func newClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns + 4
	t.MaxIdleConnsPerHost = conns + 4
	t.DisableCompression = true
	return &http.Client{Transport: t, Timeout: requestTimeout}
}

// postJSON posts body (already encoded) and returns the status and the
// whole answer.
func postJSON(ctx context.Context, c *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(c, req)
}

func get(ctx context.Context, c *http.Client, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	return do(c, req)
}

func do(c *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// health is the part of GET /health the benchmark reads.
type health struct {
	Status     string `json:"status"`
	Version    string `json:"version"`
	Memories   int64  `json:"memories"`
	Components map[string]struct {
		Status string `json:"status"`
	} `json:"components"`
}

// indexLoaded reports whether the vector index has loaded, which is when
// searches are hybrid rather than by words only.
func (h health) indexLoaded() bool { return h.Components["index"].Status == "ok" }

func getHealth(ctx context.Context, c *http.Client, base string) (health, error) {
	var h health
	code, body, err := get(ctx, c, base+"/health")
	if err != nil {
		return h, err
	}
	if code != http.StatusOK {
		return h, fmt.Errorf("GET /health: %d %s", code, body)
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return h, fmt.Errorf("GET /health: %w", err)
	}
	return h, nil
}

// Startup is how long a start of the server took, in milliseconds from
// the instant before the process was started.
type Startup struct {
	// ListenMs is until the server logged that it listens.
	ListenMs float64 `json:"listen_ms"`
	// ReadyMs is until GET /health/ready first answered 200.
	ReadyMs float64 `json:"ready_ms"`
	// IndexLoadedMs is until GET /health first reported the vector index
	// loaded.
	IndexLoadedMs float64 `json:"index_loaded_ms"`
	// SelfReportedReadyMs is the server's own figure from its log line.
	SelfReportedReadyMs float64 `json:"self_reported_ready_ms"`
	// Memories is the count GET /health reported once loaded.
	Memories int64 `json:"memories"`
	// Version is the version GET /health reported.
	Version string `json:"version"`
}

// measureStartup polls s every pollInterval until it is ready and its
// index is loaded, or timeout passes.
func measureStartup(ctx context.Context, c *http.Client, s *Server, timeout time.Duration) (Startup, error) {
	ms := func(d time.Duration) float64 { return round(float64(d.Microseconds())/1000, 3) }
	st := Startup{ListenMs: ms(s.Listening), SelfReportedReadyMs: round(s.SelfReportedReady*1000, 3)}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	err := pollUntil(ctx, s, "/health/ready", func() (bool, error) {
		code, body, err := get(ctx, c, s.URL+"/health/ready")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("%d %s", code, bytes.TrimSpace(body))
		}
		return err == nil, err
	})
	if err != nil {
		return st, err
	}
	st.ReadyMs = ms(time.Since(s.Started))

	h, err := waitIndexLoaded(ctx, c, s)
	if err != nil {
		return st, err
	}
	st.IndexLoadedMs = ms(time.Since(s.Started))
	st.Memories = h.Memories
	st.Version = h.Version
	return st, nil
}

// waitIndexLoaded polls GET /health until the vector index is loaded and
// returns that answer.
func waitIndexLoaded(ctx context.Context, c *http.Client, s *Server) (health, error) {
	var h health
	err := pollUntil(ctx, s, "the vector index", func() (bool, error) {
		var err error
		h, err = getHealth(ctx, c, s.URL)
		return err == nil && h.indexLoaded(), err
	})
	return h, err
}

// pollUntil calls done every pollInterval until it reports true, the
// server exits, or ctx ends; what names the condition in errors.
func pollUntil(ctx context.Context, s *Server, what string, done func() (bool, error)) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		ok, err := done()
		if ok {
			return nil
		}
		if exited, exitErr := s.Exited(); exited {
			return fmt.Errorf("mimo serve exited while waiting for %s: %v", what, exitErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), err)
		case <-tick.C:
		}
	}
}
