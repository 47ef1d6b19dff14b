package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"time"
)

// directTransport runs plain-HTTP/1.1 requests on the calling goroutine over keep-alive
// connections of its own, and hands anything else (https, for one) to a standard
// transport. net/http's Transport gives every connection a reading and a writing
// goroutine and passes each request and response between them and the caller; at the
// request rates a load generator lives at, those hand-offs cost more than the requests'
// own system calls. A VU sends one request at a time, so a pool per VU seldom holds more
// than one connection per host (http.batch uses more).
//
// Responses are read with http.ReadResponse, the code the standard transport uses;
// requests are written by writeRequest, which writes what http.Request.Write would
// without its allocations, or by Request.Write itself when the request is unusual. A
// request that fails on a reused connection before any of the response arrived is sent
// again once on a new connection, as the standard transport does for a server that closed
// an idle connection.
//
// A request's timeout is its connection's deadline; the end of its context cuts the
// connection by setting a deadline in the past. So that a request costs no context of its
// own, the transport watches one context at a time (a VU's requests all share its
// iteration's) for all the connections busy with a request on it.
type directTransport struct {
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	fallback http.RoundTripper

	mu   sync.Mutex
	idle map[string][]*directConn
	// busy are the connections with a request on the watched context in flight.
	busy    map[*directConn]struct{}
	watched context.Context
	unwatch func() bool
}

// maxIdlePerHost bounds the connections kept for one host.
const maxIdlePerHost = 64

type directConn struct {
	net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	// cut is set (under the transport's lock) when a context's end set the deadline in
	// the past: the connection cannot be used again. stop, when set, unregisters the
	// request's own watch (a request on another context than the watched one).
	cut  bool
	stop func() bool
}

// roundTrip sends req within ctx, req's own context being ignored, and before deadline
// (none when zero). body is the request's body; req.Body is unset. times, when not nil,
// records the request's moments.
func (t *directTransport) roundTrip(ctx context.Context, req *http.Request, body []byte, times *reqTimes, deadline time.Time) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return t.fallbackTrip(ctx, req, body, times, deadline)
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(ctx, addr, times, deadline)
		if err != nil {
			return nil, err
		}
		resp, started, err := t.exchange(ctx, req, body, c, addr, times, deadline)
		if err == nil {
			return resp, nil
		}
		c.Close()
		// A timeout is no sign of a connection the server closed: no second try.
		if !reused || started || attempt > 0 || ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, err
		}
	}
}

// fallbackTrip sends req through the standard transport, its timings through a trace.
func (t *directTransport) fallbackTrip(ctx context.Context, req *http.Request, body []byte, times *reqTimes, deadline time.Time) (*http.Response, error) {
	cancel := context.CancelFunc(func() {})
	if !deadline.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, deadline)
	}
	if times != nil {
		ctx = httptrace.WithClientTrace(ctx, times.trace())
	}
	req = req.WithContext(ctx)
	setBody(req, body)
	resp, err := t.fallback.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, err
	}
	// The deadline bounds reading the body too.
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// setBody gives req the body, as http.NewRequest does for a bytes.Reader, unless req
// has one already.
func setBody(req *http.Request, body []byte) {
	if req.Body != nil || body == nil {
		return
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// get returns an idle connection to addr, or dials one.
func (t *directTransport) get(ctx context.Context, addr string, times *reqTimes, deadline time.Time) (*directConn, bool, error) {
	t.mu.Lock()
	if list := t.idle[addr]; len(list) > 0 {
		c := list[len(list)-1]
		t.idle[addr] = list[:len(list)-1]
		t.mu.Unlock()
		return c, true, nil
	}
	t.mu.Unlock()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	times.mark(&times.connStart)
	conn, err := t.dial(ctx, "tcp", addr)
	times.mark(&times.connDone)
	if err != nil {
		return nil, false, err
	}
	return &directConn{Conn: conn, br: bufio.NewReaderSize(conn, 16<<10), bw: bufio.NewWriterSize(conn, 8<<10)}, false, nil
}

func (t *directTransport) put(addr string, c *directConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = map[string][]*directConn{}
	}
	if len(t.idle[addr]) >= maxIdlePerHost {
		c.Close()
		return
	}
	t.idle[addr] = append(t.idle[addr], c)
}

// begin marks c busy with a request on ctx, so that ctx's end cuts it; false when ctx has
// ended already. Checking ctx under the lock the cutting takes means a connection is
// either seen by the cut or refused here.
func (t *directTransport) begin(ctx context.Context, c *directConn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ctx.Err() != nil {
		return false
	}
	if ctx != t.watched && len(t.busy) == 0 {
		if t.unwatch != nil {
			t.unwatch()
		}
		t.watched, t.unwatch = ctx, context.AfterFunc(ctx, t.cutBusy)
	}
	if ctx == t.watched {
		if t.busy == nil {
			t.busy = map[*directConn]struct{}{}
		}
		t.busy[c] = struct{}{}
		return true
	}
	// Requests on two contexts at once (rare): this one watches its own.
	c.stop = context.AfterFunc(ctx, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		c.cut = true
		_ = c.SetDeadline(time.Unix(1, 0))
	})
	return true
}

// end ends c's request and says whether c may be used again.
func (t *directTransport) end(c *directConn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.busy, c)
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	return !c.cut
}

// cutBusy interrupts every request in flight on the watched context, which has ended.
func (t *directTransport) cutBusy() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.busy {
		c.cut = true
		_ = c.SetDeadline(time.Unix(1, 0))
	}
}

// exchange writes the request and reads the response head; started says whether any of
// the response had arrived when it failed.
func (t *directTransport) exchange(ctx context.Context, req *http.Request, body []byte, c *directConn, addr string, times *reqTimes, deadline time.Time) (*http.Response, bool, error) {
	// The deadline is set before begin, so that a cut is never undone by it.
	if err := c.SetDeadline(deadline); err != nil {
		return nil, false, err
	}
	if !t.begin(ctx, c) {
		return nil, false, ctx.Err()
	}
	fail := func(started bool, err error) (*http.Response, bool, error) {
		t.end(c)
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return nil, started, err
	}
	times.mark(&times.gotConn)
	var err error
	if !writeRequest(c.bw, req, body) {
		setBody(req, body)
		if req.GetBody != nil {
			// A retry on a new connection needs the body again.
			req.Body, _ = req.GetBody()
		}
		err = req.Write(c.bw)
	}
	if err == nil {
		err = c.bw.Flush()
	}
	times.mark(&times.wrote)
	if err != nil {
		return fail(false, err)
	}
	if _, err := c.br.Peek(1); err != nil {
		return fail(false, err)
	}
	times.mark(&times.firstByte)
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return fail(true, err)
	}
	keep := !resp.Close && !req.Close && resp.ProtoAtLeast(1, 1)
	resp.Body = &directBody{body: resp.Body, c: c, t: t, addr: addr, keep: keep}
	return resp, true, nil
}

// directBody returns its connection to the pool once the body has been read to its end,
// and closes it when the body is closed before that.
type directBody struct {
	body io.ReadCloser
	c    *directConn
	t    *directTransport
	addr string
	keep bool
	done bool
}

func (b *directBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.finish(b.keep)
	} else if err != nil {
		b.finish(false)
	}
	return n, err
}

func (b *directBody) Close() error {
	if !b.done {
		b.finish(false)
	}
	return nil
}

func (b *directBody) finish(reuse bool) {
	b.done = true
	b.body.Close()
	// A deadline set by the context's end makes the connection useless.
	if b.t.end(b.c) && reuse {
		b.t.put(b.addr, b.c)
		return
	}
	b.c.Close()
}
