// Package mimoclient is the harness's client of one Mimo over HTTP, as a
// user reaches it: Do sends any request and returns the whole answer
// (status, headers, body, time taken); Store, Get, List, Search, Ask and
// Delete speak the REST API in the domain's types (package mimo); Health,
// Metrics and Ready read the operational endpoints, typed; MCP connects
// the official MCP client to /mcp.
package mimoclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	mimo "mimo/system"
)

// MaxResponse bounds a response body the client reads; Mimo's largest
// answers (a page of 100 search results of 64 KiB each) fit.
const MaxResponse = 16 << 20

// DefaultTimeout bounds one call when Client.HTTPClient is nil, so a
// scenario whose fault stalls Mimo fails instead of hanging.
const DefaultTimeout = 30 * time.Second

var defaultHTTPClient = &http.Client{Timeout: DefaultTimeout}

// Client is a client of one Mimo. Its methods are safe for concurrent use.
// The typed methods return an error answer from Mimo as a *mimo.Error
// carrying Mimo's code and message, and a failure to reach Mimo or to read
// its answer as any other error.
type Client struct {
	// BaseURL is Mimo's root, such as "http://127.0.0.1:32768". Required.
	BaseURL string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// HTTPClient makes the calls. Nil means a client with DefaultTimeout.
	HTTPClient *http.Client
}

// Response is one answer of Mimo, whatever its status.
type Response struct {
	Status int
	Header http.Header
	// Body is the answer's body, at most MaxResponse bytes of it.
	Body []byte
	// Elapsed runs from sending the request to reading the whole body.
	Elapsed time.Duration
}

// Do sends method path (with its query, if any) to Mimo and returns the
// answer whatever its status. body, when not nil, is sent as JSON: a
// json.RawMessage as it is, anything else marshalled. The error is only
// for a request that got no whole answer (Mimo unreachable, the context
// done, the body unreadable).
func (c *Client) Do(ctx context.Context, method, path string, body any) (*Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	began := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Elapsed: time.Since(began)}, nil
}

// APIError decodes the body as Mimo's error shape,
// {"error":{"code":…,"message":…}}; ok is false when it is not that shape
// (a success, the readiness answer, a proxy's page) or has no code.
func (r *Response) APIError() (e *mimo.Error, ok bool) {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(r.Body, &body) != nil || body.Error.Code == "" {
		return nil, false
	}
	return &mimo.Error{Code: body.Error.Code, Message: body.Error.Message}, true
}

// Err is nil for a status below 300 and otherwise a *mimo.Error: Mimo's
// own when the body is its error shape, else one that keeps the status
// and the body's start as its message (EUNAVAILABLE for 503, EINTERNAL for
// the rest).
func (r *Response) Err() error {
	if r.Status < 300 {
		return nil
	}
	if e, ok := r.APIError(); ok {
		return e
	}
	code := mimo.EINTERNAL
	if r.Status == http.StatusServiceUnavailable {
		code = mimo.EUNAVAILABLE
	}
	msg := strings.TrimSpace(string(r.Body))
	if len(msg) > 512 {
		msg = msg[:512]
	}
	return mimo.Errorf(code, "HTTP %d: %s", r.Status, msg)
}

// Decode decodes the body as JSON into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decoding the answer (HTTP %d): %w", r.Status, err)
	}
	return nil
}

// call is Do for the typed methods: an answer of 300 or more is its Err,
// and a success is decoded into out unless out is nil.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	r, err := c.Do(ctx, method, path, in)
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := r.Decode(out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}
