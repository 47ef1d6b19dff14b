package mimoclient

import (
	"context"
	"fmt"
	"net/http"

	mimo "mimo/system"
)

// Health is Mimo's GET /health: the service's view of its dependencies
// (the domain's mimo.Health, whatever it carries) and what the server
// adds, with the HTTP status it came with.
type Health struct {
	mimo.Health
	Version       string  `json:"version"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	// HTTPStatus is 200 while Mimo serves ("ok" or "degraded") and 503
	// when it is "down".
	HTTPStatus int `json:"-"`
}

// Circuit returns the state of the breaker of component ("llm", "db",
// "embedder", …) as /health names it, or -1 when there is no such
// component or its circuit names no state.
func (h *Health) Circuit(component string) mimo.CircuitState {
	c, ok := h.Components[component]
	if !ok {
		return -1
	}
	s, err := mimo.ParseCircuitState(c.Circuit)
	if err != nil {
		return -1
	}
	return s
}

// String is a one-line summary for failure messages: the status, each
// component's status and circuit, the HTTP status, and the backlogs (the
// spool's queued writes, the memories waiting for a vector).
func (h *Health) String() string {
	reembed := "none"
	if h.Reembed != nil {
		reembed = fmt.Sprintf("%+v", *h.Reembed)
	}
	return fmt.Sprintf("HTTP %d %s %v memories=%d cache=%+v spool=%+v reembed=%s", h.HTTPStatus, h.Status, h.Components, h.Memories, h.ClassifierCache, h.Spool, reembed)
}

// Health fetches GET /health. A 503 answer still carries the body (Mimo
// says "down" with it), so only a failure to reach Mimo, another status,
// or a body that is not the health shape is an error.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	r, err := c.Do(ctx, http.MethodGet, "/health", nil)
	if err != nil {
		return nil, err
	}
	if r.Status != http.StatusOK && r.Status != http.StatusServiceUnavailable {
		return nil, fmt.Errorf("GET /health: HTTP %d: %.200s", r.Status, r.Body)
	}
	h := Health{HTTPStatus: r.Status}
	if err := r.Decode(&h); err != nil {
		return nil, fmt.Errorf("GET /health: %w", err)
	}
	return &h, nil
}

// Ready reports whether Mimo answers GET /health/ready with 200; the error
// says why not.
func (c *Client) Ready(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/health/ready", nil, nil)
}
