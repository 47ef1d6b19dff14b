package mimo

import "fmt"

// CircuitState is the state of a circuit breaker, valued as Mimo's
// mimo_circuit_breaker_state gauge exports it: ordered by severity, so
// that max() over replicas and alert thresholds ("> 0", "== 2") read
// naturally. Its String is the name /health reports in a Component's
// Circuit and the "to" label of mimo_circuit_breaker_transitions_total.
type CircuitState int

// The circuit states.
const (
	CircuitClosed   CircuitState = 0
	CircuitHalfOpen CircuitState = 1
	CircuitOpen     CircuitState = 2
)

// String returns "closed", "half-open" or "open"; a value outside the
// three is written as CircuitState(N).
func (s CircuitState) String() string {
	switch s {
	case CircuitClosed:
		return "closed"
	case CircuitHalfOpen:
		return "half-open"
	case CircuitOpen:
		return "open"
	}
	return fmt.Sprintf("CircuitState(%d)", int(s))
}

// ParseCircuitState returns the state named name ("closed", "half-open"
// or "open", as String writes it); any other name is an error.
func ParseCircuitState(name string) (CircuitState, error) {
	for _, s := range []CircuitState{CircuitClosed, CircuitHalfOpen, CircuitOpen} {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("circuit state %q: want closed, half-open or open", name)
}

// MarshalText writes the state's name, so that JSON carries "open" rather
// than 2.
func (s CircuitState) MarshalText() ([]byte, error) {
	if _, err := ParseCircuitState(s.String()); err != nil {
		return nil, err
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a state's name, as ParseCircuitState does.
func (s *CircuitState) UnmarshalText(b []byte) error {
	v, err := ParseCircuitState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
