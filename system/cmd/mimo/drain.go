package main

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// drainTimeout bounds how long stdio waits, at the end of its input, for
// answers still being worked on.
const drainTimeout = 30 * time.Second

// drain lets `mimo stdio` answer every request it has read before it
// stops at the end of its input (`echo '{…}' | mimo stdio`): the SDK ends
// the session as soon as its reader reports EOF, so the reader holds EOF
// back until as many responses have been written as requests (JSON-RPC
// messages with an id and a method) were read, or drainTimeout passes.
type drain struct {
	mu       sync.Mutex
	cond     *sync.Cond
	requests int // read so far
	answered int // written so far
	partIn   []byte
	partOut  []byte
}

func newDrain() *drain {
	d := &drain{}
	d.cond = sync.NewCond(&d.mu)
	return d
}

type drainReader struct {
	d *drain
	r io.Reader
}

type drainWriter struct {
	d *drain
	w io.Writer
}

func (d *drain) reader(r io.Reader) io.ReadCloser { return io.NopCloser(&drainReader{d: d, r: r}) }
func (d *drain) writer(w io.Writer) io.WriteCloser {
	return nopWriteCloser{&drainWriter{d: d, w: w}}
}

func (r *drainReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.d.mu.Lock()
	r.d.partIn = countMessages(append(r.d.partIn, p[:n]...), isRequest, &r.d.requests)
	r.d.mu.Unlock()
	if err == io.EOF {
		r.d.wait()
	}
	return n, err
}

func (w *drainWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.d.mu.Lock()
	w.d.partOut = countMessages(append(w.d.partOut, p[:n]...), isResponse, &w.d.answered)
	w.d.cond.Broadcast()
	w.d.mu.Unlock()
	return n, err
}

// wait blocks until every request read has been answered, or drainTimeout.
func (d *drain) wait() {
	timer := time.AfterFunc(drainTimeout, func() {
		d.mu.Lock()
		d.answered = max(d.answered, d.requests)
		d.cond.Broadcast()
		d.mu.Unlock()
	})
	defer timer.Stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.answered < d.requests {
		d.cond.Wait()
	}
}

// countMessages counts the complete lines of buf (newline-delimited
// JSON-RPC, as the stdio transport frames it) that match, and returns the
// incomplete rest.
func countMessages(buf []byte, match func(map[string]json.RawMessage) bool, n *int) []byte {
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return buf
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(buf[:i], &m) == nil && match(m) {
			*n++
		}
		buf = buf[i+1:]
	}
}

func isRequest(m map[string]json.RawMessage) bool {
	_, id := m["id"]
	_, method := m["method"]
	return id && method
}

func isResponse(m map[string]json.RawMessage) bool {
	_, id := m["id"]
	_, method := m["method"]
	return id && !method
}
