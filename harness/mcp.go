package harness

import (
	"context"
	"net/http"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MCP connects the official MCP Go SDK's client to Mimo's /mcp at its
// current address (Streamable HTTP, the newest protocol the two share),
// with Mimo's API key when the environment set one. The session is closed
// in t.Cleanup; failing to connect fails t.
func (e *Env) MCP(t testing.TB) *mcp.ClientSession {
	t.Helper()
	hc := &http.Client{Timeout: defaultHTTPClient.Timeout}
	if key := e.opts.MimoEnv["MIMO_API_KEY"]; key != "" {
		hc.Transport = bearer{key: key}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "mimo-harness", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: e.MimoURL() + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("harness: connecting an MCP client to %s/mcp: %v", e.MimoURL(), err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// bearer adds an API key to every request.
type bearer struct{ key string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}
