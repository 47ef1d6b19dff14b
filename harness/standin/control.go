package standin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// controlPrefix is where the control endpoints live, on the protocol port.
// Control calls are not counted.
const controlPrefix = "/_control/"

// maxControlBody caps a control order's body.
const maxControlBody = 1 << 20

// registerControl mounts the control endpoints:
//
//	GET  /_control/counters  → Counters
//	GET  /_control/faults    → Faults
//	POST /_control/reset     → zero the counters; answers Counters
//	POST /_control/clear     → remove every fault; answers Faults
//	POST /_control/fail      Fail    → answers Faults
//	POST /_control/slow      Slow    → answers Faults
//	POST /_control/garbage   Garbage → answers Faults
//	GET  /_control/embedded  → the texts embedded (see Embedded)
//
// Bodies are JSON; unknown fields and invalid values are 400
// {"error":"…"}. An empty body to /_control/fail means the zero Fail: 503
// on every call to every route.
func (s *Server) registerControl() {
	s.control.HandleFunc("GET /_control/counters", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Counters())
	})
	s.control.HandleFunc("GET /_control/faults", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Faults())
	})
	s.control.HandleFunc("POST /_control/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		s.log.InfoContext(r.Context(), "control: counters reset")
		writeControl(w, http.StatusOK, s.Counters())
	})
	s.control.HandleFunc("POST /_control/clear", func(w http.ResponseWriter, r *http.Request) {
		s.Clear()
		s.log.InfoContext(r.Context(), "control: faults cleared")
		writeControl(w, http.StatusOK, s.Faults())
	})
	s.control.HandleFunc("POST /_control/fail", func(w http.ResponseWriter, r *http.Request) {
		var f Fail
		err := decodeControl(w, r, &f)
		if err == nil {
			err = s.SetFail(f)
		}
		s.controlDone(w, r, "fail", f, err)
	})
	s.control.HandleFunc("POST /_control/slow", func(w http.ResponseWriter, r *http.Request) {
		var sl Slow
		err := decodeControl(w, r, &sl)
		if err == nil {
			err = s.SetSlow(sl)
		}
		s.controlDone(w, r, "slow", sl, err)
	})
	s.control.HandleFunc("POST /_control/garbage", func(w http.ResponseWriter, r *http.Request) {
		var g Garbage
		err := decodeControl(w, r, &g)
		if err == nil {
			err = s.SetGarbage(g)
		}
		s.controlDone(w, r, "garbage", g, err)
	})
	s.registerWebhook()
	s.registerEmbedded()
}

// controlDone answers a fault order: 400 with err, or the active faults.
func (s *Server) controlDone(w http.ResponseWriter, r *http.Request, kind string, order any, err error) {
	if err != nil {
		s.log.InfoContext(r.Context(), "control: order refused", "kind", kind, "err", err)
		writeControl(w, http.StatusBadRequest, ollamaError{Error: err.Error()})
		return
	}
	s.log.InfoContext(r.Context(), "control: fault set", "kind", kind, "order", order)
	writeControl(w, http.StatusOK, s.Faults())
}

// decodeControl decodes a control order strictly: one JSON object, no
// unknown fields. An empty body leaves v as it is.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err != nil {
		return fmt.Errorf("cannot read the body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad order: %w", err)
	}
	if dec.More() {
		return errors.New("bad order: more than one JSON value")
	}
	return nil
}

func writeControl(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
