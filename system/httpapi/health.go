package httpapi

import (
	"math"
	"net/http"

	mimo "mimo/system"
)

// healthResponse is the body of GET /health: the Service's view of its
// dependencies plus what only the server knows (version, uptime). Health is
// embedded so that whatever the Service adds to it reaches clients as is.
type healthResponse struct {
	mimo.Health
	Version       string  `json:"version"`
	UptimeSeconds float64 `json:"uptime_seconds"`
}

// handleHealth reports the service's state. It is 200 while the service
// answers at all ("ok" or "degraded") and 503 when it is "down", so a load
// balancer checking only the status code routes around a dead replica.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := s.svc.Health(r.Context())
	if h.Components == nil {
		h.Components = map[string]mimo.Component{}
	}
	uptime := s.now().Sub(s.started).Seconds()
	resp := healthResponse{
		Health:        h,
		Version:       s.version,
		UptimeSeconds: math.Round(uptime*1000) / 1000,
	}
	code := http.StatusOK
	if h.Status == mimo.StatusDown {
		code = http.StatusServiceUnavailable
	}
	s.writeJSON(w, r, code, resp)
}

// handleLive answers as long as the process serves HTTP at all.
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// readyResponse is the body of GET /health/ready.
type readyResponse struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// handleReady is 200 when Options.Ready says so, else 503 with its reason.
// The reason is sent as is: probes are for operators, and the point of the
// answer is to say what is not ready yet.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if err := s.ready(r.Context()); err != nil {
		s.writeJSON(w, r, http.StatusServiceUnavailable, readyResponse{Status: "not_ready", Reason: err.Error()})
		return
	}
	s.writeJSON(w, r, http.StatusOK, readyResponse{Status: "ready"})
}
