package mimo

import (
	"context"
	"sync"
)

// ReasonDBUnavailable is the reason a result says it is degraded when
// the database could not be reached: reads came from the read cache.
const ReasonDBUnavailable = "db_unavailable"

// Outcome is what a front door learns about how the service served one
// call beyond its result: that a write was queued in the spool rather
// than applied, or that a read came from a fallback (and why). The door
// puts one in the call's context with WithOutcome and reads it after the
// call (a 202 status, an X-Mimo-Degraded header); the service marks the
// Outcome it finds with OutcomeOf. It is safe for concurrent use, and its
// methods do nothing on a nil *Outcome, so a service may mark
// unconditionally.
type Outcome struct {
	parent *Outcome

	mu       sync.Mutex
	queued   bool
	degraded string
}

type outcomeKey struct{}

// WithOutcome returns a context carrying a new Outcome, and the Outcome.
// Marks on it reach any Outcome ctx already carried too, so a service
// method may watch the calls it makes itself without hiding them from
// the front door.
func WithOutcome(ctx context.Context) (context.Context, *Outcome) {
	o := &Outcome{parent: OutcomeOf(ctx)}
	return context.WithValue(ctx, outcomeKey{}, o), o
}

// OutcomeOf returns the Outcome in ctx, or nil.
func OutcomeOf(ctx context.Context) *Outcome {
	o, _ := ctx.Value(outcomeKey{}).(*Outcome)
	return o
}

// Queue records that a write was queued, not yet applied.
func (o *Outcome) Queue() {
	for ; o != nil; o = o.parent {
		o.mu.Lock()
		o.queued = true
		o.mu.Unlock()
	}
}

// Degrade records that the result was served by a fallback, for reason
// (such as ReasonDBUnavailable). The first reason recorded is kept.
func (o *Outcome) Degrade(reason string) {
	for ; o != nil; o = o.parent {
		o.mu.Lock()
		if o.degraded == "" {
			o.degraded = reason
		}
		o.mu.Unlock()
	}
}

// Queued reports whether a write was queued.
func (o *Outcome) Queued() bool {
	if o == nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queued
}

// Degraded returns the reason the result was degraded, "" if it was not.
func (o *Outcome) Degraded() string {
	if o == nil {
		return ""
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.degraded
}
