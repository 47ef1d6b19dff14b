package load

import (
	"math"
	"time"
)

// arrivalSchedule returns a function that gives, call after call, the offsets from the
// scenario's start at which its iterations start, and false after the last.
//
// The rate r(t), in iterations per second, is constant for constant-arrival-rate and
// piecewise linear for ramping-arrival-rate (from startRate through each stage's target).
// Iteration i starts when the integral of r from 0 reaches i — so a constant rate starts
// one at once and then one every 1/r; a schedule starting at rate 0 starts its first when
// the integral reaches 1.
func arrivalSchedule(s *Scenario) func() (time.Duration, bool) {
	perSec := func(n int64) float64 { return float64(n) / time.Duration(s.TimeUnit).Seconds() }
	type segment struct{ r0, r1, d float64 }
	var segs []segment
	if s.Executor == ConstantArrivalRate {
		segs = []segment{{perSec(s.Rate), perSec(s.Rate), time.Duration(s.Duration).Seconds()}}
	} else {
		from := perSec(s.StartRate)
		for _, st := range s.Stages {
			to := perSec(st.Target)
			segs = append(segs, segment{from, to, time.Duration(st.Duration).Seconds()})
			from = to
		}
	}
	i := 0.0
	if len(segs) > 0 && segs[0].r0 == 0 {
		i = 1
	}
	k := 0        // current segment
	base := 0.0   // integral at the start of segment k
	offset := 0.0 // seconds at the start of segment k
	return func() (time.Duration, bool) {
		for k < len(segs) {
			sg := segs[k]
			// Solve base + r0·τ + (r1−r0)/(2d)·τ² = i for the least τ in [0, d].
			c := i - base
			a := 0.0
			if sg.d > 0 {
				a = (sg.r1 - sg.r0) / (2 * sg.d)
			}
			disc := sg.r0*sg.r0 + 4*a*c
			if disc >= 0 {
				den := sg.r0 + math.Sqrt(disc)
				var tau float64
				switch {
				case c <= 0:
					tau = 0
				case den > 0:
					tau = 2 * c / den
				default:
					tau = math.Inf(1)
				}
				if tau <= sg.d {
					i++
					return time.Duration((offset + tau) * float64(time.Second)), true
				}
			}
			base += (sg.r0 + sg.r1) / 2 * sg.d
			offset += sg.d
			k++
		}
		return 0, false
	}
}
