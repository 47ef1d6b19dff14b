package load

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// httpClient is one VU's HTTP client: its own connection pool (as each k6 VU has), byte
// counting for data_sent and data_received, and the hosts option's name overrides.
type httpClient struct {
	run *testRun
	// transport sends one request; send follows redirects over it.
	transport *directTransport
	ua        string
	uaValue   []string    // {ua}
	header    http.Header // {User-Agent: ua}, or empty without a ua; never changed
	// maxRedirects is how many redirects a request follows (options.maxRedirects; k6's
	// default is 10).
	maxRedirects int
	// Bytes moved on this VU's connections, and how much of it samples already carry.
	sent, received         atomic.Int64
	sentSeen, receivedSeen atomic.Int64
	cookies                vuCookies
	expected               *statusSet // set by http.setResponseCallback; nil: 200-399
}

func newHTTPClient(run *testRun) *httpClient {
	c := &httpClient{run: run, ua: "mimo-load/1.0 (k6-compatible)", maxRedirects: 10}
	if run.opts.MaxRedirects != nil {
		c.maxRedirects = int(*run.opts.MaxRedirects)
	}
	if run.opts.UserAgent != nil {
		c.ua = *run.opts.UserAgent
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	hosts := run.opts.Hosts
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, mapHost(hosts, addr))
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: conn, c: c}, nil
		},
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	if run.opts.InsecureSkipTLSVerify != nil && *run.opts.InsecureSkipTLSVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the script asked for it
	}
	c.uaValue = []string{c.ua}
	c.header = http.Header{}
	if c.ua != "" {
		c.header["User-Agent"] = c.uaValue
	}
	c.transport = &directTransport{dial: tr.DialContext, fallback: tr}
	return c
}

// mapHost applies the hosts option to a dial address: "name:port" or "name" may map to
// "ip" (keeping the port) or "ip:port".
func mapHost(hosts map[string]string, addr string) string {
	if len(hosts) == 0 {
		return addr
	}
	if to, ok := hosts[addr]; ok {
		return to
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if to, ok := hosts[host]; ok {
		if _, _, err := net.SplitHostPort(to); err == nil {
			return to
		}
		return net.JoinHostPort(to, port)
	}
	return addr
}

type countingConn struct {
	net.Conn
	c *httpClient
}

func (cc *countingConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.received.Add(int64(n))
	return n, err
}

func (cc *countingConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	cc.c.sent.Add(int64(n))
	return n, err
}

// httpRequest is a request made from a script's arguments, ready to send.
type httpRequest struct {
	method, url string
	u           *url.URL
	body        []byte
	header      http.Header
	timeout     time.Duration
	tags        Tags
	discardBody bool
	// expected decides which statuses count as expected (nil: 200-399).
	expected *statusSet
}

// httpResult is what came back, with k6's timings in milliseconds.
type httpResult struct {
	req       *httpRequest
	status    int
	proto     string
	header    http.Header
	body      []byte
	finalURL  *url.URL
	err       error
	errorCode int
	timings   httpTimings
	times     reqTimes
}

type httpTimings struct {
	blocked, connecting, tlsHandshaking, sending, waiting, receiving, duration float64
}

// do sends the request within ctx, records k6's HTTP metrics for it, and returns the
// result; a transport error is a result with status 0, not an error.
func (c *httpClient) do(ctx context.Context, r *httpRequest) *httpResult {
	res := &httpResult{req: r}
	times := &res.times
	// A request without a header of its own shares the client's, which only ever holds
	// the User-Agent; nothing changes a request's header once it is sent (redirects and
	// cookies work on copies).
	switch _, ok := r.header["User-Agent"]; {
	case r.header == nil:
		r.header = c.header
	case !ok && c.ua != "":
		r.header["User-Agent"] = c.uaValue // one slice for every request: never changed in place
	}
	times.start = time.Now()
	resp, err := c.send(ctx, r, times, times.start.Add(r.timeout))
	if err == nil {
		res.status, res.proto, res.header = resp.StatusCode, resp.Proto, resp.Header
		res.finalURL = resp.Request.URL
		switch {
		case r.discardBody:
			_, err = io.Copy(io.Discard, resp.Body)
		case resp.ContentLength > 0 && resp.ContentLength <= 1<<20:
			// The exact size at once, rather than io.ReadAll's doubling from 512 bytes.
			res.body = make([]byte, resp.ContentLength)
			_, err = io.ReadFull(resp.Body, res.body)
			if err == nil {
				_, err = resp.Body.Read(nil) // reaches the end, which frees the connection
				if err == io.EOF {
					err = nil
				}
			}
		default:
			res.body, err = io.ReadAll(resp.Body)
		}
		resp.Body.Close()
	}
	end := time.Now()
	if err != nil {
		res.err, res.errorCode = err, errorCode(err)
		if res.status == 0 {
			res.finalURL = r.u
		}
	}
	res.timings = times.timings(end)
	// A request cut short because its iteration was stopped is not a measurement.
	if !errors.Is(ctx.Err(), context.Canceled) || res.status != 0 {
		c.record(res, end)
	}
	return res
}

// record pushes the request's samples: http_reqs, the timings, http_req_failed (a
// response outside 200-399, or none), data_sent and data_received.
func (c *httpClient) record(res *httpResult, now time.Time) {
	expected := res.status != 0 && res.req.expected.expected(res.status)
	// The request's tags map is its own until now; completing it in place saves a copy.
	tags := res.req.tags
	tags["status"] = strconv.Itoa(res.status)
	tags["expected_response"] = strconv.FormatBool(expected)
	if res.errorCode != 0 {
		tags["error_code"] = strconv.Itoa(res.errorCode)
	}
	failed := 0.0
	if !expected {
		failed = 1
	}
	b := &c.run.builtin
	tm := res.timings
	sent := c.sent.Load()
	recv := c.received.Load()
	dSent := sent - c.sentSeen.Swap(sent)
	dRecv := recv - c.receivedSeen.Swap(recv)
	c.run.reg.Push(
		Sample{Metric: b.httpReqs, Time: now, Value: 1, Tags: tags},
		Sample{Metric: b.httpReqDuration, Time: now, Value: tm.duration, Tags: tags},
		Sample{Metric: b.httpReqBlocked, Time: now, Value: tm.blocked, Tags: tags},
		Sample{Metric: b.httpReqConnecting, Time: now, Value: tm.connecting, Tags: tags},
		Sample{Metric: b.httpReqTLS, Time: now, Value: tm.tlsHandshaking, Tags: tags},
		Sample{Metric: b.httpReqSending, Time: now, Value: tm.sending, Tags: tags},
		Sample{Metric: b.httpReqWaiting, Time: now, Value: tm.waiting, Tags: tags},
		Sample{Metric: b.httpReqReceiving, Time: now, Value: tm.receiving, Tags: tags},
		Sample{Metric: b.httpReqFailed, Time: now, Value: failed, Tags: tags},
		Sample{Metric: b.dataSent, Time: now, Value: float64(dSent), Tags: tags},
		Sample{Metric: b.dataReceived, Time: now, Value: float64(dRecv), Tags: tags},
	)
}

// errorCode maps a transport error to k6's error codes (1000 generic, 1050 request
// timeout, 1100 DNS, 1200 dial, 1211 dial timeout, 1212 connection refused, 1220
// connection reset).
func errorCode(err error) int {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		if errors.As(err, &op) && op.Op == "dial" {
			return 1211
		}
		return 1050
	case errors.As(err, &dns):
		return 1100
	case errors.Is(err, syscall.ECONNREFUSED):
		return 1212
	case errors.Is(err, syscall.ECONNRESET):
		return 1220
	case errors.As(err, &op) && op.Op == "dial":
		return 1200
	}
	return 1000
}

// send sends the request through the VU's transport and follows redirects as net/http's
// client, and so k6, does: after 301, 302 and 303 the next request is a GET without a
// body (a HEAD stays a HEAD), after 307 and 308 it repeats the method and body; a move to
// another host drops Authorization and Cookie. The response's Request is the last one.
func (c *httpClient) send(ctx context.Context, r *httpRequest, times *reqTimes, deadline time.Time) (*http.Response, error) {
	method, u, body, header := r.method, r.u, r.body, r.header
	for hops := 0; ; hops++ {
		// Built directly rather than by http.NewRequest, which parses a URL and sets a
		// context and a body that the direct transport has no use for.
		req := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: c.cookies.header(u, header), Host: u.Host}
		resp, err := c.transport.roundTrip(ctx, req, body, times, deadline)
		if err != nil {
			return nil, &url.Error{Op: method, URL: u.String(), Err: err}
		}
		c.cookies.store(u, resp)
		loc := resp.Header.Get("Location")
		if hops >= c.maxRedirects || loc == "" || !isRedirect(resp.StatusCode) {
			return resp, nil
		}
		next, err := u.Parse(loc)
		if err != nil {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode <= http.StatusSeeOther && method != http.MethodHead {
			method, body = http.MethodGet, nil
			header = header.Clone()
			header.Del("Content-Type")
			header.Del("Content-Length")
		}
		if next.Host != u.Host {
			header = header.Clone()
			header.Del("Authorization")
			header.Del("Cookie")
		}
		u = next
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}
