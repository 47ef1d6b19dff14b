package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	mimo "mimo/system"
)

// errorBody is the one shape of every error response:
// {"error":{"code":"…","message":"…"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// internalMessage is all a client learns of an internal error; the cause is
// logged.
const internalMessage = "internal error"

// StatusCode returns the HTTP status for a mimo error code. This is the only
// place the mapping is decided; an unknown code is 500.
func StatusCode(code string) int {
	switch code {
	case mimo.EINVALID:
		return http.StatusBadRequest
	case mimo.ENOTFOUND:
		return http.StatusNotFound
	case mimo.ECONFLICT:
		return http.StatusConflict
	case mimo.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case mimo.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case mimo.ERATELIMITED:
		return http.StatusTooManyRequests
	case mimo.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorDetailOf is err as a client may see it. Internal errors, and errors
// with a code this package does not know, are logged with their cause and
// shown only as "internal error".
func (s *Server) errorDetailOf(r *http.Request, err error) errorDetail {
	code := mimo.ErrorCode(err)
	if StatusCode(code) == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "internal error",
			"method", r.Method, "path", r.URL.Path, "err", err)
		return errorDetail{Code: mimo.EINTERNAL, Message: internalMessage}
	}
	return errorDetail{Code: code, Message: mimo.ErrorMessage(err)}
}

// unavailableRetryAfter is the Retry-After, in seconds, of a 503: a
// dependency is down (or the write spool is full) and a retry a few
// seconds on may find it back.
const unavailableRetryAfter = "5"

// writeError sends err with the status its code maps to.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	d := s.errorDetailOf(r, err)
	code := StatusCode(d.Code)
	if code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
	s.writeJSON(w, r, code, errorBody{Error: d})
}

// writeJSON sends v as JSON, then a newline, with the given status. v is
// encoded before the header goes out, so an encoding failure (say, a
// memory whose stored metadata is not valid JSON) is logged and still
// yields a proper 500. It encodes into a buffer kept for reuse, so a
// response costs no allocation of its own.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	buf := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	buf.Reset()
	// Encode writes only once v is encoded whole: on an error buf is empty.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		s.log.ErrorContext(r.Context(), "encoding response",
			"method", r.Method, "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(buf).Encode(errorBody{Error: errorDetail{Code: mimo.EINTERNAL, Message: internalMessage}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// bufferPool holds response buffers for reuse.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer kept for reuse: a rare large
// response (a batch, a long list) is left to the collector rather than
// held.
const maxPooledBuffer = 64 << 10

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		bufferPool.Put(b)
	}
}
