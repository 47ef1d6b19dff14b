package httpapi

import (
	"net/http"

	mimo "mimo/system"
)

// handleAsk serves POST /api/ask: {"query", "namespace", "limit"} → the
// mimo.Answer, always 200 when the question was valid (a degraded answer
// says so in its body).
func (s *Server) handleAsk(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req mimo.AskRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.svc.Ask(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, ans)
}
