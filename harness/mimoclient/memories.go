package mimoclient

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	mimo "mimo/system"
)

// Store stores one memory. Created and Queued in the result come from the
// status Mimo answers with ("created", "existing" or "queued").
func (c *Client) Store(ctx context.Context, req mimo.StoreRequest) (*mimo.StoreResult, error) {
	var resp struct {
		Status      string       `json:"status"`
		Memory      *mimo.Memory `json:"memory"`
		DuplicateOf string       `json:"duplicate_of"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/memories", req, &resp); err != nil {
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
		Since:             formatTime(q.Since),
		Until:             formatTime(q.Until),
		IncludeSuperseded: q.IncludeSuperseded,
		Limit:             q.Limit,
		Cursor:            q.Cursor,
	}
	var page mimo.SearchPage
	if err := c.call(ctx, http.MethodPost, "/api/search", body, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// List returns one page of memories, newest first (GET /api/memories).
func (c *Client) List(ctx context.Context, q mimo.ListQuery) (*mimo.ListPage, error) {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("namespace", q.Namespace)
	cats := make([]string, len(q.Categories))
	for i, cat := range q.Categories {
		cats[i] = string(cat)
	}
	set("category", strings.Join(cats, ","))
	set("tags", strings.Join(q.Tags, ","))
	set("since", formatTime(q.Since))
	set("until", formatTime(q.Until))
	if q.IncludeSuperseded {
		v.Set("include_superseded", "true")
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	set("cursor", q.Cursor)
	path := "/api/memories"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var page mimo.ListPage
	if err := c.call(ctx, http.MethodGet, path, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListAll pages through every memory q matches, newest first, q.Limit at
// a time (0: Mimo's default), yielding each with a nil error; a failed
// page, or a next cursor that does not advance, is yielded as the error
// and ends the sequence.
func (c *Client) ListAll(ctx context.Context, q mimo.ListQuery) iter.Seq2[*mimo.Memory, error] {
	return func(yield func(*mimo.Memory, error) bool) {
		for {
			page, err := c.List(ctx, q)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, m := range page.Memories {
				if !yield(m, nil) {
					return
				}
			}
			switch page.NextCursor {
			case "":
				return
			case q.Cursor:
				yield(nil, fmt.Errorf("list: the next cursor %q does not advance", page.NextCursor))
				return
			}
			q.Cursor = page.NextCursor
		}
	}
}

// Get returns the memory id of namespace ("" means the default).
func (c *Client) Get(ctx context.Context, namespace, id string) (*mimo.Memory, error) {
	var m mimo.Memory
	if err := c.call(ctx, http.MethodGet, MemoryPath(namespace, id), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Delete deletes the memory id of namespace ("" means the default).
func (c *Client) Delete(ctx context.Context, namespace, id string) error {
	return c.call(ctx, http.MethodDelete, MemoryPath(namespace, id), nil, nil)
}

// Ask asks a question (POST /api/ask).
func (c *Client) Ask(ctx context.Context, r mimo.AskRequest) (*mimo.Answer, error) {
	var a mimo.Answer
	if err := c.call(ctx, http.MethodPost, "/api/ask", r, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// MemoryPath is the path of the memory id of namespace ("" means the
// default), for Do.
func MemoryPath(namespace, id string) string {
	p := "/api/memories/" + url.PathEscape(id)
	if namespace != "" {
		p += "?namespace=" + url.QueryEscape(namespace)
	}
	return p
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
