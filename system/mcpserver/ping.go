package mcpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The 2026-07-28 protocol wants every request's params to carry
// _meta.protocolVersion, and dropped ping. The SDK's own client still
// sends ping on such a connection, without _meta, and the SDK's server
// refuses it (400). Health checks built on the SDK call it, so Mimo answers
// such a ping itself: liberal in what it accepts, at no cost.

// statelessEra is the first protocol version of the stateless era.
const statelessEra = "2026-07-28"

// maxPingBytes bounds what answerBarePing reads to tell a ping from
// another request: a ping is a few dozen bytes.
const maxPingBytes = 4 << 10

// answerBarePing answers a 2026-07-28 ping that lacks
// _meta.protocolVersion with an empty result, and passes every other
// request on to next unchanged.
func answerBarePing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Mcp-Protocol-Version") < statelessEra || r.Body == nil || foreignHost(r) {
			next.ServeHTTP(w, r)
			return
		}
		head, err := io.ReadAll(io.LimitReader(r.Body, maxPingBytes+1))
		// Whatever was read goes back in front of the rest of the body.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		if err != nil || len(head) > maxPingBytes {
			next.ServeHTTP(w, r)
			return
		}
		var msg struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Method  string          `json:"method"`
			Params  struct {
				Meta map[string]any `json:"_meta"`
			} `json:"params"`
		}
		if json.Unmarshal(head, &msg) != nil || msg.JSONRPC != "2.0" || msg.Method != "ping" ||
			len(msg.ID) == 0 || bytes.Equal(msg.ID, []byte("null")) || msg.Params.Meta[mcp.MetaKeyProtocolVersion] != nil {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(msg.ID) + `,"result":{}}`))
	})
}

// foreignHost reports whether r reached a loopback address with a Host
// naming another host: the SDK refuses such requests (DNS rebinding), and
// so this one is left to it.
func foreignHost(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	return ok && local != nil && loopback(local.String()) && !loopback(r.Host)
}

func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
