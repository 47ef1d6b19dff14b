package standin

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// MaxWebhooks is how many webhook bodies the stand-in keeps; beyond it the
// oldest are dropped.
const MaxWebhooks = 1000

// WebhookPath is where the stand-in takes webhooks, such as Alertmanager's
// notifications, for a test to read back with Control.Webhooks.
const WebhookPath = controlPrefix + "webhook"

// registerWebhook mounts the webhook sink:
//
//	POST /_control/webhook   a JSON body of at most 1 MiB, kept → 200 {}
//	GET  /_control/webhooks  → the bodies kept, oldest first, as a JSON array
//
// A body that is not JSON is 400 and not kept. Webhooks are not calls of
// the model protocols: no counter counts them and no fault applies.
func (s *Server) registerWebhook() {
	s.control.HandleFunc("POST "+WebhookPath, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
		if err != nil || !json.Valid(body) {
			writeControl(w, http.StatusBadRequest, ollamaError{Error: "a webhook body is one JSON value of at most 1 MiB"})
			return
		}
		s.webhookMu.Lock()
		s.webhooks = append(s.webhooks, json.RawMessage(body))
		if len(s.webhooks) > MaxWebhooks {
			s.webhooks = slices.Delete(s.webhooks, 0, len(s.webhooks)-MaxWebhooks)
		}
		s.webhookMu.Unlock()
		writeControl(w, http.StatusOK, struct{}{})
	})
	s.control.HandleFunc("GET "+controlPrefix+"webhooks", func(w http.ResponseWriter, _ *http.Request) {
		s.webhookMu.Lock()
		kept := append([]json.RawMessage{}, s.webhooks...)
		s.webhookMu.Unlock()
		writeControl(w, http.StatusOK, kept)
	})
}
