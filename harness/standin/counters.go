package standin

import (
	"maps"
	"math/rand/v2"
	"time"
)

// Counters are the calls the stand-in has received since it started or was
// last reset, as GET /_control/counters reports them. Every call is
// counted, those that failed (injected or not) included.
type Counters struct {
	// Total is every protocol call received, unmatched ones included.
	Total int64 `json:"total"`
	// Routes counts calls per route name (see Routes and RouteUnmatched).
	Routes map[string]int64 `json:"routes"`
	// Models counts calls per model name, as the request spelt it; calls
	// that name no model are not in it.
	Models map[string]int64 `json:"models"`
	// Injected counts the faults applied.
	Injected Injected `json:"injected"`
	// InFlight is the number of calls being handled now. Reset does not
	// change it.
	InFlight int64 `json:"in_flight"`
}

// Injected counts the faults applied: calls failed, calls delayed, and
// answers replaced by garbage.
type Injected struct {
	Fail    int64 `json:"fail"`
	Slow    int64 `json:"slow"`
	Garbage int64 `json:"garbage"`
}

// counters is the mutable state behind Counters, guarded by Server.mu.
type counters struct {
	total    int64
	routes   map[string]int64
	models   map[string]int64
	injected Injected
}

func (c *counters) reset() {
	*c = counters{routes: map[string]int64{}, models: map[string]int64{}}
}

// Counters returns a copy of the counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Counters{
		Total:    s.counters.total,
		Routes:   maps.Clone(s.counters.routes),
		Models:   maps.Clone(s.counters.models),
		Injected: s.counters.injected,
		InFlight: s.inFlight.Load(),
	}
}

// Reset sets every counter to zero and empties the list of embedded
// texts. Active faults stay (Clear removes them), but a Fail's even spread
// starts again from its first call.
func (s *Server) Reset() {
	s.resetEmbedded()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.reset()
	s.faults.failSeen = 0
}

// Faults returns a copy of the active faults.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.snapshot()
}

// SetFail replaces the Fail fault. A bad f is an error and changes nothing.
func (s *Server) SetFail(f Fail) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.setFail(f)
	return nil
}

// SetSlow replaces the Slow fault. A bad sl is an error and changes nothing.
func (s *Server) SetSlow(sl Slow) error {
	if err := sl.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.slow = &sl
	return nil
}

// SetGarbage replaces the Garbage fault. A bad g is an error and changes
// nothing.
func (s *Server) SetGarbage(g Garbage) error {
	if err := g.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.garbage = &g
	return nil
}

// Clear removes every fault. Counters stay (Reset zeroes them).
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.clear()
}

func (s *Server) count(route, model string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.total++
	s.counters.routes[route]++
	if model != "" {
		s.counters.models[model]++
	}
}

func (s *Server) takeSlow(route string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.faults.takeSlow(route)
	if ok {
		s.counters.injected.Slow++
	}
	return d, ok
}

func (s *Server) takeFail(route string) *Fail {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults.takeFail(route)
	if f != nil {
		s.counters.injected.Fail++
	}
	return f
}

func (s *Server) takeGarbage(route string, embedding bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	mode := s.faults.takeGarbage(route, embedding)
	if mode != "" {
		s.counters.injected.Garbage++
	}
	return mode
}

// newRand returns a generator that yields the same numbers for the same
// seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
