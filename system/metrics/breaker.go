package metrics

import mimo "mimo/system"

// SetBreakerState sets the state gauge of service's breaker without counting
// a transition; use it for the initial state, so dashboards show a breaker
// before its first change. The gauge's value is the state's own
// (mimo.CircuitState: 0 closed, 1 half-open, 2 open).
func (m *Metrics) SetBreakerState(service string, s mimo.CircuitState) {
	m.BreakerState.WithLabelValues(service).Set(float64(s))
}

// BreakerTransition records that service's breaker changed to state: it
// sets the state gauge and counts the transition under the state's name.
func (m *Metrics) BreakerTransition(service string, to mimo.CircuitState) {
	m.SetBreakerState(service, to)
	m.BreakerTransitions.WithLabelValues(service, to.String()).Inc()
}
