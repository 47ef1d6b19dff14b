package mimoclient

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MCP connects the official MCP Go SDK's client to Mimo's /mcp
// (Streamable HTTP, the newest protocol the two share), with the API key
// when the client has one. The caller closes the session.
func (c *Client) MCP(ctx context.Context) (*mcp.ClientSession, error) {
	hc := &http.Client{Timeout: DefaultTimeout}
	if c.HTTPClient != nil {
		hc.Timeout = c.HTTPClient.Timeout
	}
	if c.APIKey != "" {
		hc.Transport = bearer{key: c.APIKey}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "mimo-harness", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: strings.TrimSuffix(c.BaseURL, "/") + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting an MCP client to %s/mcp: %w", c.BaseURL, err)
	}
	return cs, nil
}

// bearer adds an API key to every request.
type bearer struct{ key string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}
