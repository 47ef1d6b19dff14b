package load

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteRequestWritesWhatRequestWriteWrites compares the fast writer with net/http's
// on the requests scripts make; what it does not handle it must leave to Request.Write.
func TestWriteRequestWritesWhatRequestWriteWrites(t *testing.T) {
	cases := []struct {
		name, method, url string
		header            http.Header
		body              []byte
	}{
		{"get", "GET", "http://127.0.0.1:8080/", nil, nil},
		{"get with query", "GET", "http://example.com/a/b?x=1&y=%20z", http.Header{"X-Test": {"yes"}}, nil},
		{"escaped path", "GET", "http://example.com/a%2Fb/c d", nil, nil},
		{"empty path", "GET", "http://example.com", nil, nil},
		{"forced query", "GET", "http://example.com/?", nil, nil},
		{"post", "POST", "http://localhost:4000/api/ask", http.Header{"Content-Type": {"application/json"}}, []byte(`{"query":"test"}`)},
		{"post without body", "POST", "http://h/", nil, nil},
		{"delete without body", "DELETE", "http://h/", nil, nil},
		{"delete with an empty body", "DELETE", "http://h/", nil, []byte{}},
		{"options with a body", "OPTIONS", "http://h/", nil, []byte("b")},
		{"head", "HEAD", "http://h/", nil, nil},
		{"headers sorted, repeated, trimmed", "PUT", "http://h/x", http.Header{
			"Zeta": {"1"}, "Alpha": {" a ", "b"}, "Content-Length": {"99"}, "Host": {"other"},
		}, []byte("x")},
		{"own user agent", "GET", "http://h/", http.Header{"User-Agent": {" mimo-load/1.0 "}}, nil},
		{"no user agent", "GET", "http://h/", http.Header{"User-Agent": {""}}, nil},
		{"ipv6 host", "GET", "http://[::1]:80/", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.Parse(c.url)
			require.NoError(t, err)
			req := &http.Request{Method: c.method, URL: u, Header: c.header, Host: u.Host}
			if req.Header == nil {
				req.Header = http.Header{}
			}
			var fast bytes.Buffer
			w := bufio.NewWriter(&fast)
			require.True(t, writeRequest(w, req, c.body))
			require.NoError(t, w.Flush())

			std := req.Clone(req.Context())
			setBody(std, c.body)
			var want bytes.Buffer
			require.NoError(t, std.Write(&want))
			assert.Equal(t, want.String(), fast.String())
		})
	}
}

func TestWriteRequestLeavesUnusualRequestsToRequestWrite(t *testing.T) {
	for name, mod := range map[string]func(*http.Request){
		"newline in a value": func(r *http.Request) { r.Header.Set("X-A", "a\r\nInjected: 1") },
		"invalid name":       func(r *http.Request) { r.Header["Bad Name"] = []string{"x"} },
		"unicode host":       func(r *http.Request) { r.Host = "bücher.example" },
		"ipv6 zone":          func(r *http.Request) { r.Host = "[fe80::1%25eth0]:80" },
		"close":              func(r *http.Request) { r.Close = true },
		"control in query":   func(r *http.Request) { r.URL.RawQuery = "a=\x01" },
	} {
		t.Run(name, func(t *testing.T) {
			u, _ := url.Parse("http://h/")
			req := &http.Request{Method: "GET", URL: u, Header: http.Header{}, Host: u.Host}
			mod(req)
			var buf bytes.Buffer
			w := bufio.NewWriter(&buf)
			assert.False(t, writeRequest(w, req, nil))
			require.NoError(t, w.Flush())
			assert.Zero(t, buf.Len(), "nothing written")
		})
	}
}
