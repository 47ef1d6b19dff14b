package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system/httpapi"
)

// oversizedReader is an oversized body of unknown length, so the client
// sends it chunked and the server finds it too large only by reading.
type oversizedReader struct{ r io.Reader }

func (o oversizedReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// A client that sends a body far over the limit, and reads the answer only
// once it has sent all of it (as Go's http.Client does), gets the 413 JSON
// error every time, never a connection reset: the server reads and
// discards the body before answering. Both with a declared length and
// chunked, on /api and /mcp, over fresh and reused connections.
func TestOversizedBodiesAlwaysGet413(t *testing.T) {
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the MCP handler ran on an oversized body")
	})
	e := newEnv(t, httpapi.Options{MCP: mcp})
	bodies := map[string][]byte{
		"5 MiB":  bytes.Repeat([]byte("a"), 5<<20),
		"50 MiB": bytes.Repeat([]byte("a"), 50<<20),
	}
	for _, reuse := range []bool{true, false} {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: !reuse}}
		{
			for size, b := range bodies {
				for _, path := range []string{"/api/memories", "/mcp"} {
					for _, chunked := range []bool{false, true} {
						var body io.Reader = bytes.NewReader(b)
						if chunked {
							body = oversizedReader{bytes.NewReader(b)}
						}
						req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+path, body)
						require.NoError(t, err)
						req.Header.Set("Content-Type", "application/json")
						resp, err := client.Do(req)
						require.NoError(t, err, "%s to %s, chunked %v, keep-alive %v: no connection error",
							size, path, chunked, reuse)
						var got struct {
							Error struct{ Code, Message string } `json:"error"`
						}
						decodeErr := json.NewDecoder(resp.Body).Decode(&got)
						_ = resp.Body.Close()
						require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s to %s", size, path)
						require.NoError(t, decodeErr)
						assert.Equal(t, "too_large", got.Error.Code)
						assert.Contains(t, got.Error.Message, "over 1048576 bytes")
					}
				}
			}
		}
		// The connection a 413 was sent on serves the next request.
		resp, err := client.Post(e.srv.URL+"/api/memories", "application/json", bytes.NewReader([]byte(`{"content":"small"}`)))
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		client.CloseIdleConnections()
	}
}

// A body over the discard bound is still answered 413, with Connection:
// close: the server stops reading rather than read on without end.
func TestBodyOverTheDiscardBoundGets413AndClose(t *testing.T) {
	e := newEnv(t, httpapi.Options{MaxBodyBytes: 16})
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	const extra = 1024 // left unread in the socket's buffers
	_, err = fmt.Fprintf(conn, "POST /api/memories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		httpapi.MaxDiscardBytes+extra)
	require.NoError(t, err)
	_, err = io.CopyN(conn, zeros{}, httpapi.MaxDiscardBytes+extra)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.True(t, resp.Close, "Connection: close past the bound")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
