// Package breaker is Mimo's circuit breaker: closed → open after a number
// of consecutive failures; open → half-open once the reset time has
// passed; half-open → closed when its one probe call succeeds, → open
// when it fails. While open, calls are refused without reaching the
// dependency. Every transition is counted and the state exported in
// mimo_circuit_breaker_state (0 closed, 1 half-open, 2 open).
//
// Written here rather than taken from sony/gobreaker because Mimo's
// breaker tests must run on a fake clock (its time is injected), and
// gobreaker reads time.Now itself.
package breaker

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"mimo/system"
	"mimo/system/metrics"
)

// State is a breaker's state, the domain's CircuitState, valued as
// mimo_circuit_breaker_state exports it.
type State = mimo.CircuitState

// The states.
const (
	Closed   = mimo.CircuitClosed
	HalfOpen = mimo.CircuitHalfOpen
	Open     = mimo.CircuitOpen
)

// Defaults for Options' zero values (MIMO_BREAKER_FAILURES and
// MIMO_BREAKER_RESET).
const (
	DefaultFailures = 5
	DefaultReset    = 60 * time.Second
)

// Options configures New. Name is required.
type Options struct {
	// Name is the service the breaker guards ("llm", "embedder", "db"),
	// the service label of its metrics.
	Name string
	// Failures is how many consecutive failures open the circuit; zero
	// means DefaultFailures.
	Failures int
	// Reset is how long an open circuit waits before letting one probe
	// through (half-open); zero means DefaultReset.
	Reset time.Duration
	// Metrics receives the state and transitions; nil means a private
	// registry.
	Metrics *metrics.Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Breaker is one circuit breaker. It is safe for concurrent use.
type Breaker struct {
	name     string
	failures int
	reset    time.Duration
	metrics  *metrics.Metrics
	now      func() time.Time

	mu       sync.Mutex
	state    State
	failed   int       // consecutive failures while closed
	openedAt time.Time // when it last opened
	probing  bool      // a half-open probe is in flight
}

// New returns a closed breaker.
func New(o Options) *Breaker {
	b := &Breaker{name: o.Name, failures: o.Failures, reset: o.Reset, metrics: o.Metrics, now: o.Now}
	if b.failures <= 0 {
		b.failures = DefaultFailures
	}
	if b.reset <= 0 {
		b.reset = DefaultReset
	}
	if b.metrics == nil {
		b.metrics = metrics.New(metrics.Options{})
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.metrics.SetBreakerState(b.name, Closed)
	return b
}

// ErrOpen is the cause of every call a circuit refuses; errors.Is finds
// it in the EUNAVAILABLE *mimo.Error that Do returns then.
var ErrOpen = errors.New("circuit open")

func (b *Breaker) errOpen() error {
	return mimo.Wrap(mimo.EUNAVAILABLE, ErrOpen, fmt.Sprintf("%s: circuit open after repeated failures; trying again %s after it opened", b.name, b.reset))
}

// Do runs call unless the circuit refuses it (an EUNAVAILABLE error
// wrapping ErrOpen), and records its outcome: a nil error is a success.
func (b *Breaker) Do(call func() error) error {
	if !b.allow() {
		return b.errOpen()
	}
	err := call()
	b.record(err == nil)
	return err
}

// State returns the current state, moving open to half-open first when
// the reset time has passed.
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.maybeHalfOpen()
	return b.state
}

// allow reports whether a call may go ahead: always while closed, one
// probe at a time while half-open, never while open.
func (b *Breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.maybeHalfOpen()
	switch b.state {
	case Closed:
		return true
	case HalfOpen:
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
	return false
}

func (b *Breaker) record(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case Closed:
		if ok {
			b.failed = 0
			return
		}
		b.failed++
		if b.failed >= b.failures {
			b.to(Open)
		}
	case HalfOpen:
		b.probing = false
		if ok {
			b.to(Closed)
		} else {
			b.to(Open)
		}
	case Open:
		// A call allowed before the circuit opened ended late: the state
		// already says what its outcome would.
	}
}

// maybeHalfOpen moves an open circuit to half-open once Reset has passed.
// b.mu is held.
func (b *Breaker) maybeHalfOpen() {
	if b.state == Open && !b.now().Before(b.openedAt.Add(b.reset)) {
		b.to(HalfOpen)
	}
}

// to changes the state and reports it. b.mu is held.
func (b *Breaker) to(s State) {
	if b.state == s {
		return
	}
	b.state = s
	b.failed = 0
	b.probing = false
	if s == Open {
		b.openedAt = b.now()
	}
	b.metrics.BreakerTransition(b.name, s)
}
