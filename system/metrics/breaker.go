package metrics

// Values of mimo_circuit_breaker_state. They are ordered by severity so that
// max() over replicas and alert thresholds ("> 0", "== 2") read naturally.
const (
	BreakerClosed   float64 = 0
	BreakerHalfOpen float64 = 1
	BreakerOpen     float64 = 2
)

// Names of breaker states, as used in the "to" label of
// mimo_circuit_breaker_transitions_total and in /health.
const (
	StateClosed   = "closed"
	StateHalfOpen = "half-open"
	StateOpen     = "open"
)

// BreakerValue returns the gauge value of a state name: 0 for "closed", 1 for
// "half-open", 2 for "open". ok is false for any other name.
func BreakerValue(state string) (value float64, ok bool) {
	switch state {
	case StateClosed:
		return BreakerClosed, true
	case StateHalfOpen:
		return BreakerHalfOpen, true
	case StateOpen:
		return BreakerOpen, true
	}
	return 0, false
}

// SetBreakerState sets the state gauge of service's breaker without counting
// a transition; use it for the initial state, so dashboards show a breaker
// before its first change. An unknown state name is ignored rather than
// recorded as a value no alert expects.
func (m *Metrics) SetBreakerState(service, state string) {
	if v, ok := BreakerValue(state); ok {
		m.BreakerState.WithLabelValues(service).Set(v)
	}
}

// BreakerTransition records that service's breaker changed to state: it
// sets the state gauge and counts the transition. An unknown state name is
// ignored.
func (m *Metrics) BreakerTransition(service, to string) {
	v, ok := BreakerValue(to)
	if !ok {
		return
	}
	m.BreakerState.WithLabelValues(service).Set(v)
	m.BreakerTransitions.WithLabelValues(service, to).Inc()
}
