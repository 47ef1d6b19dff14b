package mcpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system/mcpserver"
)

// connectHTTP connects the SDK's client over Streamable HTTP at version
// ("" for the newest).
func connectHTTP(t *testing.T, url, version string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1},
		&mcp.ClientSessionOptions{ProtocolVersion: version})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// The SDK's client sends ping without the _meta the 2026-07-28 protocol
// asks for; Mimo answers it in every era.
func TestPingIsAnsweredInEveryEra(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	t.Cleanup(srv.Close)
	for _, version := range []string{"", "2025-11-25", "2025-06-18"} {
		cs := connectHTTP(t, srv.URL, version)
		require.NoError(t, cs.Ping(context.Background(), nil), "protocol %q", cs.InitializeResult().ProtocolVersion)
	}

	// By hand: the bare ping, and a ping that carries _meta, which the SDK
	// answers itself.
	post := func(body, host string) (int, string) {
		req, err := http.NewRequest("POST", srv.URL, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, b.String()
	}
	code, body := post(`{"jsonrpc":"2.0","id":7,"method":"ping"}`, "")
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":7,"result":{}}`, body)
	code, _ = post(`{"jsonrpc":"2.0","id":"a","method":"ping","params":{}}`, "")
	assert.Equal(t, http.StatusOK, code)
	code, _ = post(`{"jsonrpc":"2.0","id":7,"method":"ping"}`, "evil.example")
	assert.Equal(t, http.StatusForbidden, code, "a foreign Host is still refused (DNS rebinding)")
	code, _ = post(`{"jsonrpc":"2.0","id":7,"method":"tools/list"}`, "")
	assert.Equal(t, http.StatusBadRequest, code, "other requests still need their _meta")
}

// Over HTTP every request is a session of its own: the SDK's lines about
// sessions connecting and disconnecting are logged at debug, not info.
func TestSessionLinesAreDebug(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		// A file: the server's goroutines may write to it at once.
		logs, err := os.Create(filepath.Join(t.TempDir(), "log"))
		require.NoError(t, err)
		log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
		srv := httptest.NewServer(newServerWith(t, mcpserver.Options{Logger: log}).Handler())
		cs := connectHTTP(t, srv.URL, "2025-11-25")
		_, err = cs.ListTools(t.Context(), nil)
		require.NoError(t, err)
		require.NoError(t, cs.Close())
		srv.Close()
		require.NoError(t, logs.Close())
		b, err := os.ReadFile(logs.Name())
		require.NoError(t, err)
		if level == slog.LevelDebug {
			assert.Contains(t, string(b), `"level":"DEBUG","msg":"server connecting"`, "the SDK's lines, at debug")
		} else {
			assert.NotContains(t, string(b), "server connecting")
			assert.NotContains(t, string(b), "session disconnected")
		}
	}
}
