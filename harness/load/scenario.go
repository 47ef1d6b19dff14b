package load

import (
	"fmt"
	"time"
)

// The executors, by the names scripts use.
const (
	SharedIterations    = "shared-iterations"
	PerVUIterations     = "per-vu-iterations"
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
)

// Scenario is one entry of options.scenarios, with k6's fields. Which fields matter
// depends on Executor; setDefaults fills k6's defaults and rejects what k6 would.
type Scenario struct {
	Name      string            `json:"-"`
	Executor  string            `json:"executor"`
	StartTime Duration          `json:"startTime"`
	Exec      string            `json:"exec"` // exported function to run; default "default"
	Env       map[string]string `json:"env"`
	Tags      map[string]string `json:"tags"`
	// GracefulStop is how long iterations running when the scenario ends may finish
	// before they are interrupted; default 30s.
	GracefulStop *Duration `json:"gracefulStop"`

	// Looping executors.
	VUs         *int64    `json:"vus"`
	Iterations  *int64    `json:"iterations"`
	Duration    Duration  `json:"duration"`
	MaxDuration *Duration `json:"maxDuration"` // iterations executors; default 10m

	// ramping-vus.
	StartVUs         *int64    `json:"startVUs"`
	GracefulRampDown *Duration `json:"gracefulRampDown"`
	Stages           []Stage   `json:"stages"`

	// Arrival-rate executors: Rate (or StartRate, then Stages) iterations per TimeUnit.
	Rate            int64    `json:"rate"`
	StartRate       int64    `json:"startRate"`
	TimeUnit        Duration `json:"timeUnit"`
	PreAllocatedVUs *int64   `json:"preAllocatedVUs"`
	MaxVUs          *int64   `json:"maxVUs"`
}

func i64(v int64) *int64 { return &v }

func dur(d time.Duration) *Duration { v := Duration(d); return &v }

// setDefaults fills k6's defaults for the executor and validates the configuration.
func (s *Scenario) setDefaults() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("scenario %q (%s): %s", s.Name, s.Executor, fmt.Sprintf(format, args...))
	}
	if s.Exec == "" {
		s.Exec = "default"
	}
	if s.GracefulStop == nil {
		s.GracefulStop = dur(30 * time.Second)
	}
	if s.StartTime < 0 || *s.GracefulStop < 0 {
		return bad("startTime and gracefulStop must not be negative")
	}
	switch s.Executor {
	case SharedIterations, PerVUIterations:
		if s.VUs == nil {
			s.VUs = i64(1)
		}
		if s.Iterations == nil {
			s.Iterations = i64(1)
		}
		if s.MaxDuration == nil {
			s.MaxDuration = dur(10 * time.Minute)
		}
		if *s.VUs <= 0 || *s.Iterations <= 0 || *s.MaxDuration <= 0 {
			return bad("vus, iterations and maxDuration must be positive")
		}
		if s.Executor == SharedIterations && *s.Iterations < *s.VUs {
			return bad("the number of iterations (%d) can't be less than the number of VUs (%d)", *s.Iterations, *s.VUs)
		}
	case ConstantVUs:
		if s.VUs == nil {
			s.VUs = i64(1)
		}
		if *s.VUs <= 0 || s.Duration <= 0 {
			return bad("vus and duration must be positive")
		}
	case RampingVUs:
		if s.StartVUs == nil {
			s.StartVUs = i64(1)
		}
		if s.GracefulRampDown == nil {
			s.GracefulRampDown = dur(30 * time.Second)
		}
		if len(s.Stages) == 0 {
			return bad("needs at least one stage")
		}
		if *s.StartVUs < 0 {
			return bad("startVUs must not be negative")
		}
	case ConstantArrivalRate, RampingArrivalRate:
		if s.TimeUnit == 0 {
			s.TimeUnit = Duration(time.Second)
		}
		if s.PreAllocatedVUs == nil {
			return bad("preAllocatedVUs is required")
		}
		if s.MaxVUs == nil || *s.MaxVUs < *s.PreAllocatedVUs {
			s.MaxVUs = s.PreAllocatedVUs
		}
		if *s.MaxVUs <= 0 || s.TimeUnit <= 0 {
			return bad("maxVUs (or preAllocatedVUs) and timeUnit must be positive")
		}
		if s.Executor == ConstantArrivalRate && (s.Rate <= 0 || s.Duration <= 0) {
			return bad("rate and duration must be positive")
		}
		if s.Executor == RampingArrivalRate && len(s.Stages) == 0 {
			return bad("needs at least one stage")
		}
	case "":
		return bad("executor is required")
	default:
		return bad("unknown executor; expected one of %s, %s, %s, %s, %s, %s", SharedIterations,
			PerVUIterations, ConstantVUs, RampingVUs, ConstantArrivalRate, RampingArrivalRate)
	}
	for _, st := range s.Stages {
		if st.Duration < 0 || st.Target < 0 {
			return bad("stage durations and targets must not be negative")
		}
	}
	return nil
}

// maxVUs is how many VUs the scenario may hold at once.
func (s *Scenario) maxVUs() int64 {
	switch s.Executor {
	case RampingVUs:
		m := *s.StartVUs
		for _, st := range s.Stages {
			m = max(m, st.Target)
		}
		return m
	case ConstantArrivalRate, RampingArrivalRate:
		return *s.MaxVUs
	}
	return *s.VUs
}

// preAllocated is how many VUs are initialised for the scenario before the test starts.
func (s *Scenario) preAllocated() int64 {
	if s.PreAllocatedVUs != nil {
		return *s.PreAllocatedVUs
	}
	return s.maxVUs()
}

// length is how long the scenario starts iterations for, not counting startTime or
// gracefulStop (for the iterations executors, their maxDuration).
func (s *Scenario) length() time.Duration {
	switch s.Executor {
	case SharedIterations, PerVUIterations:
		return time.Duration(*s.MaxDuration)
	case RampingVUs, RampingArrivalRate:
		var d time.Duration
		for _, st := range s.Stages {
			d += time.Duration(st.Duration)
		}
		return d
	}
	return time.Duration(s.Duration)
}

// Describe says what the scenario will do, in the words k6's start-up banner uses.
func (s *Scenario) Describe() string {
	d := func(x Duration) string { return time.Duration(x).String() }
	extra := "gracefulStop: " + d(*s.GracefulStop)
	if s.StartTime > 0 {
		extra = "startTime: " + d(s.StartTime) + ", " + extra
	}
	perSec := func(n int64) string {
		return fmtNumber(float64(n)/time.Duration(s.TimeUnit).Seconds()) + " iterations/s"
	}
	switch s.Executor {
	case SharedIterations:
		return fmt.Sprintf("%d iterations shared among %d VUs (maxDuration: %s, %s)", *s.Iterations, *s.VUs, d(*s.MaxDuration), extra)
	case PerVUIterations:
		return fmt.Sprintf("%d iterations for each of %d VUs (maxDuration: %s, %s)", *s.Iterations, *s.VUs, d(*s.MaxDuration), extra)
	case ConstantVUs:
		return fmt.Sprintf("%d looping VUs for %s (%s)", *s.VUs, d(s.Duration), extra)
	case RampingVUs:
		return fmt.Sprintf("Up to %d looping VUs for %s over %d stages (gracefulRampDown: %s, %s)",
			s.maxVUs(), s.length(), len(s.Stages), d(*s.GracefulRampDown), extra)
	case ConstantArrivalRate:
		return fmt.Sprintf("%s for %s (maxVUs: %d, %s)", perSec(s.Rate), d(s.Duration), *s.MaxVUs, extra)
	}
	peak := s.StartRate
	for _, st := range s.Stages {
		peak = max(peak, st.Target)
	}
	return fmt.Sprintf("Up to %s for %s over %d stages (maxVUs: %d, %s)", perSec(peak), s.length(), len(s.Stages), *s.MaxVUs, extra)
}

// PeakVUs is how many VUs the scenario may hold at once.
func (s *Scenario) PeakVUs() int64 { return s.maxVUs() }

// Longest is the longest the scenario can take from the test's start: its startTime,
// its length and its gracefulStop (and, for ramping-vus, gracefulRampDown).
func (s *Scenario) Longest() time.Duration {
	d := time.Duration(s.StartTime) + s.length() + time.Duration(*s.GracefulStop)
	if s.Executor == RampingVUs {
		d += time.Duration(*s.GracefulRampDown)
	}
	return d
}
