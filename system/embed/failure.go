package embed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Reasons a provider call failed, Failure.Reason.
const (
	ReasonTimeout     = "timeout"      // no answer within the timeout
	ReasonRefused     = "refused"      // connection refused, reset or unresolvable host
	ReasonRateLimited = "rate_limited" // 429; RetryAfter says for how long, when the server said
	ReasonServer      = "server"       // 5xx
	ReasonMalformed   = "malformed"    // not the protocol's JSON, or the wrong number of vectors
	ReasonWrongDim    = "wrong_dim"    // vectors of another length than the configured dimension
	ReasonBadRequest  = "bad_request"  // another 4xx: bad key, unknown model, input refused
)

// Failure is why one call to an embedding service failed. The embedders of
// this package return it wrapped in an EUNAVAILABLE *mimo.Error, so
// errors.As finds it and a caller can tell a slow server from a broken one.
type Failure struct {
	Provider string // "ollama" or "openai"
	Reason   string // one of the Reason* constants
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// RetryAfter is what a 429's Retry-After asked for; zero when absent.
	RetryAfter time.Duration
	// Detail is what went wrong, for logs: the server's words (cut short)
	// or the transport's error.
	Detail string
	Err    error
}

func (f *Failure) Error() string {
	msg := fmt.Sprintf("%s embedding %s", f.Provider, f.Reason)
	if f.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", f.Status)
	}
	if f.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", f.RetryAfter)
	}
	if f.Detail != "" {
		msg += ": " + f.Detail
	}
	return msg
}

func (f *Failure) Unwrap() error { return f.Err }

// transportFailure classifies an error of the HTTP round trip (no answer).
func transportFailure(provider string, err error) *Failure {
	f := &Failure{Provider: provider, Reason: ReasonRefused, Detail: err.Error(), Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		f.Reason = ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		f.Reason = ReasonRefused
	}
	return f
}

// statusFailure classifies an answer whose status is not 2xx.
func statusFailure(provider string, resp *http.Response, body []byte) *Failure {
	f := &Failure{Provider: provider, Status: resp.StatusCode, Detail: snippet(body)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		f.Reason = ReasonRateLimited
		f.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode >= 500:
		f.Reason = ReasonServer
	default:
		f.Reason = ReasonBadRequest
	}
	return f
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date. Zero
// when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// snippet is the start of a body, for messages.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}
