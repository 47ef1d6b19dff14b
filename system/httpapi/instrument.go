package httpapi

import (
	"bufio"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// observe counts and times one finished request and writes its access-log
// line. The route label is the matched pattern's path, never the raw path.
func (s *Server) observe(r *http.Request, sw *statusWriter, pattern string, start time.Time) {
	code := sw.status()
	route := routeLabel(pattern)
	method := methodLabel(r.Method)
	elapsed := s.now().Sub(start)
	s.metrics.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	s.metrics.HTTPDuration.WithLabelValues(route, method).Observe(elapsed.Seconds())

	ctx := r.Context()
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", code),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", elapsed),
			slog.String("remote", r.RemoteAddr),
		)
	}
}

func stack() string { return string(debug.Stack()) }

// statusWriter records the status and size of a response. It passes
// Flush, Hijack and Unwrap through, because the MCP transport streams
// server-sent events and must be able to flush.
type statusWriter struct {
	http.ResponseWriter
	code        int
	bytes       int64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx responses are informational; the final status is still to come.
	if !w.wroteHeader && code >= 200 {
		w.code = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.code = http.StatusOK
		w.wroteHeader = true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// status is the status sent, 200 when the handler wrote nothing (net/http
// sends 200 then).
func (w *statusWriter) status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.code
}

func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.code = http.StatusOK
		w.wroteHeader = true
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// headerRecorder keeps the status and headers a handler sets and drops its
// body; serveUnmatched uses it to learn the mux's verdict.
type headerRecorder struct {
	header http.Header
	code   int
}

func (h *headerRecorder) Header() http.Header { return h.header }

func (h *headerRecorder) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}

func (h *headerRecorder) Write(b []byte) (int, error) {
	if h.code == 0 {
		h.code = http.StatusOK
	}
	return len(b), nil
}
