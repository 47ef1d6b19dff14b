package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	mimo "mimo/system"
)

// maxResponse bounds a response body the client reads; Mimo's largest
// answers (a page of 100 search results of 64 KiB each) fit.
const maxResponse = 16 << 20

// Client is a small client of Mimo's REST API for scenarios. Its methods
// are safe for concurrent use. An error answer from Mimo is returned as a
// *mimo.Error carrying Mimo's code and message; a failure to reach Mimo or
// to read its answer is any other error.
type Client struct {
	// BaseURL is Mimo's root, such as "http://127.0.0.1:32768". Required.
	BaseURL string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// HTTPClient makes the calls. Nil means a client with a 30 second
	// timeout, so a scenario whose fault stalls Mimo fails instead of
	// hanging.
	HTTPClient *http.Client
}

var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

// Store stores one memory. Created and Queued in the result come from the
// status Mimo answers with ("created", "existing" or "queued").
func (c *Client) Store(ctx context.Context, req mimo.StoreRequest) (*mimo.StoreResult, error) {
	var resp struct {
		Status      string       `json:"status"`
		Memory      *mimo.Memory `json:"memory"`
		DuplicateOf string       `json:"duplicate_of"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/memories", req, &resp); err != nil {
		return nil, err
	}
	if resp.Memory == nil {
		return nil, fmt.Errorf("store: Mimo answered %q with no memory", resp.Status)
	}
	return &mimo.StoreResult{
		Memory:      resp.Memory,
		Created:     resp.Status == "created",
		Queued:      resp.Status == "queued",
		DuplicateOf: resp.DuplicateOf,
	}, nil
}

// Search runs one search. Since and Until are sent when not zero.
func (c *Client) Search(ctx context.Context, q mimo.SearchQuery) (*mimo.SearchPage, error) {
	body := struct {
		Query             string          `json:"query"`
		Namespace         string          `json:"namespace,omitempty"`
		Categories        []mimo.Category `json:"categories,omitempty"`
		Tags              []string        `json:"tags,omitempty"`
		Since             string          `json:"since,omitempty"`
		Until             string          `json:"until,omitempty"`
		IncludeSuperseded bool            `json:"include_superseded,omitempty"`
		Limit             int             `json:"limit,omitempty"`
		Cursor            string          `json:"cursor,omitempty"`
	}{
		Query:             q.Query,
		Namespace:         q.Namespace,
		Categories:        q.Categories,
		Tags:              q.Tags,
		IncludeSuperseded: q.IncludeSuperseded,
		Limit:             q.Limit,
		Cursor:            q.Cursor,
	}
	if !q.Since.IsZero() {
		body.Since = q.Since.UTC().Format(time.RFC3339Nano)
	}
	if !q.Until.IsZero() {
		body.Until = q.Until.UTC().Format(time.RFC3339Nano)
	}
	var page mimo.SearchPage
	if err := c.do(ctx, http.MethodPost, "/api/search", body, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// Get returns the memory id of namespace ("" means the default).
func (c *Client) Get(ctx context.Context, namespace, id string) (*mimo.Memory, error) {
	var m mimo.Memory
	if err := c.do(ctx, http.MethodGet, memoryPath(namespace, id), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Delete deletes the memory id of namespace ("" means the default).
func (c *Client) Delete(ctx context.Context, namespace, id string) error {
	return c.do(ctx, http.MethodDelete, memoryPath(namespace, id), nil, nil)
}

// Ask asks a question (POST /api/ask).
func (c *Client) Ask(ctx context.Context, r mimo.AskRequest) (*mimo.Answer, error) {
	var a mimo.Answer
	if err := c.do(ctx, http.MethodPost, "/api/ask", r, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Ready reports whether Mimo answers GET /health/ready with 200; the error
// says why not.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/health/ready", nil, nil)
}

func memoryPath(namespace, id string) string {
	p := "/api/memories/" + url.PathEscape(id)
	if namespace != "" {
		p += "?namespace=" + url.QueryEscape(namespace)
	}
	return p
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return decodeError(resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

// decodeError turns Mimo's error body into a *mimo.Error. A body that is
// not Mimo's error shape (the readiness answer, a proxy's page) keeps the
// status and the body's start as the message.
func decodeError(status int, b []byte) *mimo.Error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
		return &mimo.Error{Code: e.Error.Code, Message: e.Error.Message}
	}
	code := mimo.EINTERNAL
	if status == http.StatusServiceUnavailable {
		code = mimo.EUNAVAILABLE
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 512 {
		msg = msg[:512]
	}
	return mimo.Errorf(code, "HTTP %d: %s", status, msg)
}
