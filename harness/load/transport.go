package load

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
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
// Requests are written with http.Request.Write and read with http.ReadResponse, the
// same code the standard transport uses. A request that fails on a reused connection
// before any of the response arrived is sent again once on a new connection, as the
// standard transport does for a server that closed an idle connection.
type directTransport struct {
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	fallback http.RoundTripper

	mu   sync.Mutex
	idle map[string][]*directConn
}

// maxIdlePerHost bounds the connections kept for one host.
const maxIdlePerHost = 64

type directConn struct {
	net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// RoundTrip implements http.RoundTripper.
func (t *directTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	times := reqTimesFrom(req.Context())
	if req.URL.Scheme != "http" {
		if times != nil {
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), times.trace()))
		}
		return t.fallback.RoundTrip(req)
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(req.Context(), addr, times)
		if err != nil {
			return nil, err
		}
		resp, started, err := t.exchange(req, c, reused, addr, times)
		if err == nil {
			return resp, nil
		}
		c.Close()
		if !reused || started || attempt > 0 || req.Context().Err() != nil {
			return nil, err
		}
		if req.Body != nil && req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		} else if req.Body != nil && req.Body != http.NoBody {
			return nil, err
		}
	}
}

// get returns an idle connection to addr, or dials one.
func (t *directTransport) get(ctx context.Context, addr string, times *reqTimes) (*directConn, bool, error) {
	t.mu.Lock()
	if list := t.idle[addr]; len(list) > 0 {
		c := list[len(list)-1]
		t.idle[addr] = list[:len(list)-1]
		t.mu.Unlock()
		return c, true, nil
	}
	t.mu.Unlock()
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

// exchange writes the request and reads the response head; started says whether any of
// the response had arrived when it failed.
func (t *directTransport) exchange(req *http.Request, c *directConn, reused bool, addr string, times *reqTimes) (*http.Response, bool, error) {
	ctx := req.Context()
	// The context's end interrupts blocked reads and writes through the deadline.
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	fail := func(started bool, err error) (*http.Response, bool, error) {
		stop()
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return nil, started, err
	}
	times.mark(&times.gotConn)
	err := req.Write(c.bw)
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
	resp.Body = &directBody{body: resp.Body, c: c, t: t, addr: addr, keep: keep, stop: stop}
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
	stop func() bool
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
	if b.stop() && reuse {
		b.t.put(b.addr, b.c)
		return
	}
	b.c.Close()
}
