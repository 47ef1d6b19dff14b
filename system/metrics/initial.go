package metrics

import mimo "mimo/system"

// Circuits are the services whose circuit state Mimo exports, as the
// service label of mimo_circuit_breaker_state and
// mimo_circuit_breaker_transitions_total. /health reports a circuit for
// each; one without a breaker of its own stays closed.
var Circuits = []string{"llm", "embedder", "db"}

// A Fallback is one service and reason label pair of
// mimo_fallback_triggered_total.
type Fallback struct{ Service, Reason string }

// Fallbacks are the degraded paths package memory counts, each a
// service and reason pair of mimo_fallback_triggered_total. A test reads
// package memory's source and fails when the two lists differ.
var Fallbacks = []Fallback{
	{"llm", "no_llm"},            // no language model configured
	{"llm", "llm_failed"},        // the model's call failed
	{"llm", "circuit_open"},      // the model's circuit is open
	{"llm", "cached_answer"},     // the model failed; its earlier answer served
	{"embedder", "error"},        // the embedder failed: stored without a vector, searched by words
	{"embedder", "circuit_open"}, // the embedder's circuit is open: the same, without calling it
	{"index", "loading"},         // vector index loading; words only
	{"search", "no_match"},       // no word matched; the newest memories
	{"graph", "error"},           // the graph failed while asking; memories only
	{"db", "read_cache"},         // the database unavailable; a read from the read cache
	{"db", "spooled"},            // the database unavailable; a write queued in the spool
}

// initialise exports at zero every series whose labels are known before
// the first event: each circuit closed with no transitions, each
// fallback never taken, and the configured providers' histograms empty.
// Without them a series would appear only once its first event happened,
// so rate() over it, and an alert on it, would see nothing until then,
// and a dashboard would show "no data" where it should show zero.
func (m *Metrics) initialise(opts Options) {
	states := []mimo.CircuitState{mimo.CircuitClosed, mimo.CircuitHalfOpen, mimo.CircuitOpen}
	for _, service := range Circuits {
		m.SetBreakerState(service, mimo.CircuitClosed)
		for _, to := range states {
			m.BreakerTransitions.WithLabelValues(service, to.String())
		}
	}
	for _, f := range Fallbacks {
		m.Fallbacks.WithLabelValues(f.Service, f.Reason)
	}
	if opts.EmbedProvider != "" {
		m.EmbeddingDuration.WithLabelValues(opts.EmbedProvider)
	}
	if opts.LLMProvider != "" {
		m.LLMDuration.WithLabelValues(opts.LLMProvider)
	}
}
