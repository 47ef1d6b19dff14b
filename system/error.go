package mimo

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status (in httpapi) and one MCP tool
// error (in mcpserver); nowhere else decides how an error is shown.
const (
	EINVALID      = "invalid"      // the caller sent something wrong (400)
	ENOTFOUND     = "not_found"    // the thing does not exist in this namespace (404)
	ECONFLICT     = "conflict"     // the request conflicts with current state (409)
	EUNAUTHORIZED = "unauthorized" // missing or wrong API key (401)
	ETOOLARGE     = "too_large"    // body or field over its limit (413)
	ERATELIMITED  = "rate_limited" // too many requests from this client (429)
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retrying later may work (503)
	EINTERNAL     = "internal"     // a bug or an unexpected failure (500)
)

// Error is the one error type of Mimo. Code is one of the E* constants;
// Message is safe to show to a client. Err, if set, is the underlying cause,
// logged but never sent to clients.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("mimo %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("mimo %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message whose cause is err.
func Wrap(code string, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of the
// first *Error in its chain, or "internal error" for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
