package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Control is a client of a stand-in's control endpoints, for a harness that
// runs the stand-in as its own process or container. Its methods are safe
// for concurrent use. An order the stand-in refuses is an error carrying
// its reason.
type Control struct {
	// BaseURL is the stand-in's root, such as "http://host:11434".
	// Required.
	BaseURL string
	// HTTPClient makes the calls. Nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Counters returns the stand-in's counters.
func (c *Control) Counters(ctx context.Context) (Counters, error) {
	var out Counters
	err := c.do(ctx, http.MethodGet, "counters", nil, &out)
	return out, err
}

// Faults returns the active faults.
func (c *Control) Faults(ctx context.Context) (Faults, error) {
	var out Faults
	err := c.do(ctx, http.MethodGet, "faults", nil, &out)
	return out, err
}

// Webhooks returns the webhook bodies the stand-in has kept (see
// WebhookPath), oldest first.
func (c *Control) Webhooks(ctx context.Context) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := c.do(ctx, http.MethodGet, "webhooks", nil, &out)
	return out, err
}

// Embedded returns the texts the stand-in embedded since it started or
// was last reset, oldest first (see Server.Embedded).
func (c *Control) Embedded(ctx context.Context) ([]string, error) {
	var out []string
	err := c.do(ctx, http.MethodGet, "embedded", nil, &out)
	return out, err
}

// Reset zeroes the counters and empties the list of embedded texts.
func (c *Control) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "reset", nil, nil)
}

// Clear removes every fault.
func (c *Control) Clear(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "clear", nil, nil)
}

// Fail sets the Fail fault.
func (c *Control) Fail(ctx context.Context, f Fail) error {
	return c.do(ctx, http.MethodPost, "fail", f, nil)
}

// Slow sets the Slow fault.
func (c *Control) Slow(ctx context.Context, sl Slow) error {
	return c.do(ctx, http.MethodPost, "slow", sl, nil)
}

// Garbage sets the Garbage fault.
func (c *Control) Garbage(ctx context.Context, g Garbage) error {
	return c.do(ctx, http.MethodPost, "garbage", g, nil)
}

// maxControlAnswer bounds a control answer the client reads: the longest,
// MaxEmbedded texts of up to the longest input, can pass maxControlBody.
const maxControlAnswer = 64 << 20

func (c *Control) do(ctx context.Context, method, endpoint string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("standin control %s: %w", endpoint, err)
		}
		body = bytes.NewReader(b)
	}
	url := strings.TrimSuffix(c.BaseURL, "/") + controlPrefix + endpoint
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("standin control %s: %w", endpoint, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("standin control %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxControlAnswer))
	if err != nil {
		return fmt.Errorf("standin control %s: reading the answer: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e ollamaError
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("standin control %s: %s: %s", endpoint, resp.Status, e.Error)
		}
		return fmt.Errorf("standin control %s: %s", endpoint, resp.Status)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("standin control %s: decoding the answer: %w", endpoint, err)
		}
	}
	return nil
}
