package standin

import (
	"net/http"
	"slices"
)

// MaxEmbedded is how many embedded texts the stand-in keeps; beyond it the
// oldest are dropped.
const MaxEmbedded = 10000

// registerEmbedded mounts
//
//	GET /_control/embedded  → the texts the embedding routes were asked to
//	                          embed and answered, oldest first, as a JSON array
//
// so a test can tell which texts a client had embedded (a memory
// re-embedded after an outage, say), not only how many calls it made. A
// call that failed (an injected failure, a bad request) embedded nothing
// and adds nothing. Reset empties the list.
func (s *Server) registerEmbedded() {
	s.control.HandleFunc("GET "+controlPrefix+"embedded", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Embedded())
	})
}

// keepEmbedded adds texts, as embedded (after truncation), to the list.
func (s *Server) keepEmbedded(texts ...string) {
	s.embeddedMu.Lock()
	defer s.embeddedMu.Unlock()
	s.embedded = append(s.embedded, texts...)
	if over := len(s.embedded) - MaxEmbedded; over > 0 {
		s.embedded = slices.Delete(s.embedded, 0, over)
	}
}

// Embedded returns the texts embedded since the stand-in started or was
// last reset, oldest first, at most MaxEmbedded of them.
func (s *Server) Embedded() []string {
	s.embeddedMu.Lock()
	defer s.embeddedMu.Unlock()
	return append([]string{}, s.embedded...)
}

func (s *Server) resetEmbedded() {
	s.embeddedMu.Lock()
	s.embedded = nil
	s.embeddedMu.Unlock()
}
