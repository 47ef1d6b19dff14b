package load

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"
)

// reqTimes are the moments of one request that k6's timings are made of. The direct
// transport records them itself; for the standard transport (https) they come through an
// httptrace.ClientTrace. Either may record from another goroutine than the caller's (the
// standard transport dials on one of its own, and may report a dial after the request has
// taken another connection), hence the lock.
type reqTimes struct {
	mu                                            sync.Mutex
	start, connStart, connDone, tlsStart, tlsDone time.Time
	gotConn, wrote, firstByte                     time.Time
}

// mark sets *at to now; a nil receiver records nothing.
func (t *reqTimes) mark(at *time.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	*at = time.Now()
	t.mu.Unlock()
}

// trace adapts t to an httptrace.ClientTrace for the standard transport.
func (t *reqTimes) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		ConnectStart:         func(string, string) { t.mark(&t.connStart) },
		ConnectDone:          func(string, string, error) { t.mark(&t.connDone) },
		TLSHandshakeStart:    func() { t.mark(&t.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.mark(&t.tlsDone) },
		GotConn:              func(httptrace.GotConnInfo) { t.mark(&t.gotConn) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { t.mark(&t.wrote) },
		GotFirstResponseByte: func() { t.mark(&t.firstByte) },
	}
}

// timings turns the moments into k6's timings in milliseconds, the request having ended
// at end: blocked (waiting for a connection), connecting, tls_handshaking, sending,
// waiting (for the first byte), receiving, and duration = sending + waiting + receiving.
func (t *reqTimes) timings(end time.Time) httpTimings {
	t.mu.Lock()
	defer t.mu.Unlock()
	span := func(a, b time.Time) float64 {
		if a.IsZero() || b.IsZero() || b.Before(a) {
			return 0
		}
		return ms(b.Sub(a))
	}
	var tm httpTimings
	if !t.connStart.IsZero() {
		tm.blocked = span(t.start, t.connStart)
	} else {
		tm.blocked = span(t.start, t.gotConn)
	}
	tm.connecting = span(t.connStart, t.connDone)
	tm.tlsHandshaking = span(t.tlsStart, t.tlsDone)
	tm.sending = span(t.gotConn, t.wrote)
	tm.waiting = span(t.wrote, t.firstByte)
	tm.receiving = span(t.firstByte, end)
	tm.duration = tm.sending + tm.waiting + tm.receiving
	return tm
}
