package standin

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Content types of answers.
const (
	contentJSON   = "application/json; charset=utf-8"
	contentNDJSON = "application/x-ndjson"
	contentSSE    = "text/event-stream"
	contentText   = "text/plain; charset=utf-8"
)

// malformedTail follows half of a good body in malformed_json garbage, so
// the result cannot parse as JSON.
const malformedTail = "<<not json>>"

// ollamaError is Ollama's error body: {"error":"…"}.
type ollamaError struct {
	Error string `json:"error"`
}

// openAIError is OpenAI's error body:
// {"error":{"message","type","param","code"}}, param and code null when
// they do not apply.
type openAIError struct {
	Error openAIErrorDetail `json:"error"`
}

type openAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// error answers status with msg in the call's protocol error shape.
func (c *call) error(w http.ResponseWriter, status int, msg string) {
	c.errorWith(w, status, msg, "", "")
}

// errorWith is error with OpenAI's param and code ("" for null); Ollama's
// shape has neither.
func (c *call) errorWith(w http.ResponseWriter, status int, msg, param, code string) {
	var v any
	switch c.proto {
	case openAI:
		if code == "" && status == http.StatusTooManyRequests {
			code = "rate_limit_exceeded"
		}
		v = openAIError{Error: openAIErrorDetail{
			Message: msg, Type: openAIErrorType(status), Param: nullable(param), Code: nullable(code),
		}}
	default:
		v = ollamaError{Error: msg}
	}
	body, _ := json.Marshal(v) // cannot fail: strings only
	h := w.Header()
	h.Set("Content-Type", c.contentJSON())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// openAIErrorType is the "type" OpenAI gives errors of status.
func openAIErrorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "requests"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (c *call) contentJSON() string {
	if c.proto == openAI {
		return "application/json"
	}
	return contentJSON
}

// reply answers 200 with v as JSON, or with garbage when a Garbage fault
// applies to the call.
func (c *call) reply(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		c.error(w, http.StatusInternalServerError, "cannot encode the answer: "+err.Error())
		return
	}
	c.send(w, c.contentJSON(), body)
}

// send answers 200 with body, or with garbage when a Garbage fault applies
// to the call.
func (c *call) send(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	switch c.garbage() {
	case GarbageMalformedJSON:
		body = malformed(body)
	case GarbageEmpty:
		body = nil
	case GarbageTruncatedStream:
		// Promise the whole body, send half, drop the connection.
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		abort(w)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// stream answers 200 with one frame per payload, flushed one by one, or
// with garbage when a Garbage fault applies to the call. payloads holds at
// least two: the answer's chunks and the closing one.
func (c *call) stream(w http.ResponseWriter, contentType string, frame func([]byte) []byte, payloads [][]byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	n := len(payloads)
	switch c.garbage() {
	case GarbageMalformedJSON:
		payloads[0] = malformed(payloads[0])
	case GarbageEmpty:
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	case GarbageTruncatedStream:
		n = len(payloads) / 2
	}
	w.WriteHeader(http.StatusOK)
	for _, p := range payloads[:n] {
		if _, err := w.Write(frame(p)); err != nil {
			return // the client has gone
		}
		_ = rc.Flush()
	}
	if n < len(payloads) {
		abort(w)
	}
}

// abort flushes what was written and drops the connection, as a provider
// that dies mid-answer does. It does not return.
func abort(w http.ResponseWriter) {
	_ = http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler)
}

// malformed returns a body that is not valid JSON: half of b, then junk.
func malformed(b []byte) []byte {
	out := append([]byte{}, b[:len(b)/2]...)
	return append(out, malformedTail...)
}

// ndjsonFrame frames a payload as one line of newline-delimited JSON.
func ndjsonFrame(p []byte) []byte {
	return append(p, '\n')
}

// sseFrame frames a payload as one Server-Sent Event.
func sseFrame(p []byte) []byte {
	out := make([]byte, 0, len(p)+8)
	out = append(out, "data: "...)
	out = append(out, p...)
	return append(out, "\n\n"...)
}
