package standin

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// Fail makes protocol calls fail with Status, in the protocol's own error
// shape. It is the body of POST /_control/fail.
type Fail struct {
	// Status is the HTTP status of the failures, 400..599. 0 means 503.
	Status int `json:"status"`
	// Rate is the fraction of matching calls that fail, in (0, 1]; 0 means
	// 1 (every call). With Seed 0 the failures are spread evenly and
	// reproducibly: the k-th matching call (counted from when this fault
	// was set) fails when floor(k*Rate) > floor((k-1)*Rate), so a rate of
	// 1/N fails calls N, 2N, 3N… and a rate of 0.3 fails calls 4, 7, 10….
	Rate float64 `json:"rate"`
	// Seed, when not 0, replaces the even spread with pseudo-random draws
	// from a generator seeded with it: each matching call fails with
	// probability Rate, the same calls for the same seed and call order.
	Seed uint64 `json:"seed,omitempty"`
	// Routes are the protocol routes (as in Routes) the fault applies to;
	// empty means all of them.
	Routes []string `json:"routes,omitempty"`
	// Count is how many failures to inject before the fault clears itself;
	// 0 means until cleared.
	Count int `json:"count"`
	// RetryAfter, in seconds, is sent as a Retry-After header when > 0.
	RetryAfter int `json:"retry_after,omitempty"`
}

// Slow delays the answers of protocol calls. It is the body of
// POST /_control/slow. A delay ends early when the client gives up or the
// server shuts down: the connection is dropped without an answer.
type Slow struct {
	// DelayMS is the delay in milliseconds, >= 0.
	DelayMS int `json:"delay_ms"`
	// JitterMS, >= 0, adds a pseudo-random extra delay in [0, JitterMS] ms
	// to each call, from a generator seeded by Options.Seed.
	JitterMS int `json:"jitter_ms"`
	// Routes as in Fail; empty means all protocol routes.
	Routes []string `json:"routes,omitempty"`
	// Count is how many calls to delay before the fault clears itself; 0
	// means until cleared.
	Count int `json:"count"`
}

// Garbage modes.
const (
	// GarbageMalformedJSON answers 200 with a complete body that is not
	// valid JSON (for a stream, the first line is broken, the rest sound).
	GarbageMalformedJSON = "malformed_json"
	// GarbageWrongDim answers embedding calls with vectors of the wrong
	// length: half the requested dimension (2 when 1 was asked). Other
	// routes answer normally and are not counted as garbage.
	GarbageWrongDim = "wrong_dim"
	// GarbageEmpty answers 200 with an empty body.
	GarbageEmpty = "empty"
	// GarbageTruncatedStream cuts the answer mid-body and drops the
	// connection: a stream stops after half its chunks without its final
	// chunk (no "done":true, no [DONE]); a plain body stops half-way, short
	// of its Content-Length. Clients see an unexpected EOF.
	GarbageTruncatedStream = "truncated_stream"
)

// GarbageModes returns the valid Garbage.Mode values.
func GarbageModes() []string {
	return []string{GarbageMalformedJSON, GarbageWrongDim, GarbageEmpty, GarbageTruncatedStream}
}

// Garbage makes calls that would have succeeded answer a broken body instead.
// It is the body of POST /_control/garbage. Calls that end in an error
// (bad request, unknown model, an injected failure) are not affected.
type Garbage struct {
	// Mode is one of GarbageModes().
	Mode string `json:"mode"`
	// Routes as in Fail; empty means all protocol routes.
	Routes []string `json:"routes,omitempty"`
	// Count is how many answers to break before the fault clears itself;
	// 0 means until cleared.
	Count int `json:"count"`
}

// Faults is the set of active faults (nil when not set), as
// GET /_control/faults reports it. Count is what is left of each fault's
// count (0 meaning until cleared).
type Faults struct {
	Fail    *Fail    `json:"fail"`
	Slow    *Slow    `json:"slow"`
	Garbage *Garbage `json:"garbage"`
}

// maxDelay bounds a Slow delay; a longer one is surely a mistake in a test.
const maxDelay = 10 * time.Minute

// validate checks f and fills its defaults.
func (f *Fail) validate() error {
	if f.Status == 0 {
		f.Status = http.StatusServiceUnavailable
	}
	if f.Status < 400 || f.Status > 599 {
		return fmt.Errorf("status %d is not a failure: want 400..599", f.Status)
	}
	if f.Rate == 0 {
		f.Rate = 1
	}
	if !(f.Rate > 0 && f.Rate <= 1) {
		return fmt.Errorf("rate %v is out of range: want a fraction in (0, 1]", f.Rate)
	}
	if f.Count < 0 {
		return fmt.Errorf("count %d is negative: 0 means until cleared", f.Count)
	}
	if f.RetryAfter < 0 {
		return fmt.Errorf("retry_after %d is negative", f.RetryAfter)
	}
	return validateRoutes(f.Routes)
}

func (sl *Slow) validate() error {
	if sl.DelayMS < 0 || sl.JitterMS < 0 {
		return fmt.Errorf("delay_ms and jitter_ms must not be negative")
	}
	if sl.DelayMS == 0 && sl.JitterMS == 0 {
		return fmt.Errorf("delay_ms or jitter_ms must be positive (use /_control/clear to remove faults)")
	}
	if time.Duration(sl.DelayMS+sl.JitterMS)*time.Millisecond > maxDelay {
		return fmt.Errorf("delay_ms + jitter_ms is over %v", maxDelay)
	}
	if sl.Count < 0 {
		return fmt.Errorf("count %d is negative: 0 means until cleared", sl.Count)
	}
	return validateRoutes(sl.Routes)
}

func (g *Garbage) validate() error {
	if !slices.Contains(GarbageModes(), g.Mode) {
		return fmt.Errorf("mode %q is not one of %v", g.Mode, GarbageModes())
	}
	if g.Count < 0 {
		return fmt.Errorf("count %d is negative: 0 means until cleared", g.Count)
	}
	return validateRoutes(g.Routes)
}

func validateRoutes(routes []string) error {
	for _, r := range routes {
		if !slices.Contains(Routes(), r) {
			return fmt.Errorf("route %q is not a protocol route: want one of %v", r, Routes())
		}
	}
	return nil
}

func matches(routes []string, route string) bool {
	return len(routes) == 0 || slices.Contains(routes, route)
}

// faultState is the active faults and what deciding them needs. It is
// guarded by the Server's mutex.
type faultState struct {
	fail     *Fail
	failSeen int64      // matching calls since fail was set
	failRand *rand.Rand // nil unless fail.Seed != 0
	slow     *Slow
	jitter   *rand.Rand // seeded by Options.Seed, for Slow.JitterMS
	garbage  *Garbage
}

// clear removes every fault.
func (fs *faultState) clear() {
	fs.fail, fs.failRand, fs.slow, fs.garbage = nil, nil, nil, nil
	fs.failSeen = 0
}

// setFail replaces the fail fault.
func (fs *faultState) setFail(f Fail) {
	fs.fail = &f
	fs.failSeen = 0
	fs.failRand = nil
	if f.Seed != 0 {
		fs.failRand = newRand(f.Seed)
	}
}

// takeFail decides whether this call to route fails, and consumes one of
// the fault's count if so.
func (fs *faultState) takeFail(route string) *Fail {
	f := fs.fail
	if f == nil || !matches(f.Routes, route) {
		return nil
	}
	fs.failSeen++
	var hit bool
	if fs.failRand != nil {
		hit = fs.failRand.Float64() < f.Rate
	} else {
		k := float64(fs.failSeen)
		// The epsilon keeps rates such as 0.1 exact in spite of binary
		// floating point: 10*0.1 must reach 1.
		hit = math.Floor(k*f.Rate+1e-9) > math.Floor((k-1)*f.Rate+1e-9)
	}
	if !hit {
		return nil
	}
	out := *f
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			fs.fail = nil
		}
	}
	return &out
}

// takeSlow returns the delay for this call to route and whether a Slow
// fault applies, and consumes one of the fault's count if so.
func (fs *faultState) takeSlow(route string) (time.Duration, bool) {
	sl := fs.slow
	if sl == nil || !matches(sl.Routes, route) {
		return 0, false
	}
	d := time.Duration(sl.DelayMS) * time.Millisecond
	if sl.JitterMS > 0 {
		d += time.Duration(fs.jitter.Int64N(int64(sl.JitterMS)*int64(time.Millisecond) + 1))
	}
	if sl.Count > 0 {
		sl.Count--
		if sl.Count == 0 {
			fs.slow = nil
		}
	}
	return d, true
}

// takeGarbage returns the garbage mode for a successful answer of route
// ("" for none) and consumes one of the fault's count if so. embedding
// says whether the route answers vectors, the only answers wrong_dim
// changes.
func (fs *faultState) takeGarbage(route string, embedding bool) string {
	g := fs.garbage
	if g == nil || !matches(g.Routes, route) {
		return ""
	}
	if g.Mode == GarbageWrongDim && !embedding {
		return ""
	}
	if g.Count > 0 {
		g.Count--
		if g.Count == 0 {
			fs.garbage = nil
		}
	}
	return g.Mode
}

// snapshot copies the active faults.
func (fs *faultState) snapshot() Faults {
	var out Faults
	if fs.fail != nil {
		f := *fs.fail
		f.Routes = slices.Clone(f.Routes)
		out.Fail = &f
	}
	if fs.slow != nil {
		sl := *fs.slow
		sl.Routes = slices.Clone(sl.Routes)
		out.Slow = &sl
	}
	if fs.garbage != nil {
		g := *fs.garbage
		g.Routes = slices.Clone(g.Routes)
		out.Garbage = &g
	}
	return out
}
