package memory

import (
	"context"
	"log/slog"
)

// fallback records one degraded path taken: counted in
// mimo_fallback_triggered_total{service,reason} and logged at level (Warn
// for a dependency's failure; Debug for a state that is expected and
// would otherwise log on every request, such as no LLM configured or an
// open circuit). Every fallback of the service goes through here.
func (s *Service) fallback(ctx context.Context, level slog.Level, service, reason, msg string, args ...any) {
	s.metrics.Fallbacks.WithLabelValues(service, reason).Inc()
	s.log.Log(ctx, level, msg, append([]any{"service", service, "reason", reason}, args...)...)
}
