package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	mimo "mimo/system"
)

// MaxDiscardBytes bounds how much of an oversized request body is read and
// thrown away before the 413 is sent.
const MaxDiscardBytes = 64 << 20 // 64 MiB

// readBody reads r's body before any handler runs, so every route answers
// an oversized body the same way: 413 with a JSON error. A body within the
// limit replaces r.Body, read whole. A body over it is read on and thrown
// away, up to MaxDiscardBytes, before the answer is written: a client that
// is still sending (as Go's http.Client and most libraries do, reading the
// answer only once the body is sent) would otherwise meet a connection
// reset instead of the 413. A body longer still gets the 413 and the
// connection is closed. readBody reports whether the handler should run.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if r.ContentLength <= s.maxBody {
		var buf bytes.Buffer
		if r.ContentLength > 0 {
			buf.Grow(int(r.ContentLength) + 1) // +1: the read that finds the end
		}
		_, err := buf.ReadFrom(io.LimitReader(r.Body, s.maxBody+1))
		if err != nil {
			s.writeError(w, r, mimo.Wrap(mimo.EINVALID, err, "could not read the request body"))
			return false
		}
		if int64(buf.Len()) <= s.maxBody {
			r.Body = &bufferedBody{Reader: bytes.NewReader(buf.Bytes()), data: buf.Bytes()}
			return true
		}
	}
	// Over the limit: declared so, or found so while reading.
	n, err := io.CopyN(io.Discard, r.Body, MaxDiscardBytes)
	if n == MaxDiscardBytes || (err != nil && !errors.Is(err, io.EOF)) {
		w.Header().Set("Connection", "close")
	}
	s.writeError(w, r, mimo.Errorf(mimo.ETOOLARGE, "request body is over %d bytes", s.maxBody))
	return false
}

// bufferedBody is a request body readBody has read whole: a handler decoding
// it takes data as it is instead of reading it again.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (*bufferedBody) Close() error { return nil }

// unread returns the body's bytes if r's body is a bufferedBody nothing has
// read from yet.
func unread(r *http.Request) ([]byte, bool) {
	b, ok := r.Body.(*bufferedBody)
	if !ok || b.Len() != len(b.data) {
		return nil, false
	}
	return b.data, true
}
