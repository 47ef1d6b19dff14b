// Package toxics names the network faults the validation scenarios inject
// through Toxiproxy. A Profile is one toxic, built by a constructor that
// checks its arguments. In a test, Add puts a profile on a proxy and Cut
// cuts the whole proxy, each undoing itself in t.Cleanup (or earlier, by
// the function it returns), so a scenario never writes its own undo and a
// failing one leaves no fault behind. Outside a test (a load runner),
// Profile.Add, Profile.Remove, Down and Up do the same by hand.
//
// Times are milliseconds (the slicer's delay excepted, which Toxiproxy takes
// in microseconds), bandwidth is KB/s, sizes are bytes; these are Toxiproxy's
// own units, kept so a profile reads like Toxiproxy's documentation.
package toxics

import (
	"fmt"
	"sync"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// Streams a toxic acts on. Downstream is server to client, the direction
// Toxiproxy applies a toxic to by default.
const (
	Downstream = "downstream"
	Upstream   = "upstream"
)

// Profile is one toxic. Build it with a constructor (Latency, Timeout, ...)
// and refine it with the With methods; a Profile is a value, so refining
// returns a copy.
type Profile struct {
	// Name identifies the toxic on its proxy. Constructors set
	// "<type>_<stream>", unique per type and stream.
	Name string
	// Type is Toxiproxy's toxic type, such as "latency".
	Type string
	// Stream is Downstream or Upstream.
	Stream string
	// Toxicity is the probability, in [0, 1], that a connection is
	// affected. Constructors set 1 (every connection).
	Toxicity float32
	// Attributes are the type's parameters, in Toxiproxy's names and units.
	Attributes toxiproxy.Attributes
}

func newProfile(typ string, attrs toxiproxy.Attributes) Profile {
	return Profile{Name: typ + "_" + Downstream, Type: typ, Stream: Downstream, Toxicity: 1, Attributes: attrs}
}

// Latency delays every chunk of data by ms milliseconds, plus or minus up
// to jitter milliseconds. Both must be >= 0.
func Latency(ms, jitter int) (Profile, error) {
	if ms < 0 || jitter < 0 {
		return Profile{}, fmt.Errorf("toxics: latency %d ms, jitter %d ms: both must be >= 0", ms, jitter)
	}
	return newProfile("latency", toxiproxy.Attributes{"latency": ms, "jitter": jitter}), nil
}

// Timeout stops all data and closes the connection after ms milliseconds;
// ms 0 holds the connection open, passing nothing, until the toxic is
// removed.
func Timeout(ms int) (Profile, error) {
	if ms < 0 {
		return Profile{}, fmt.Errorf("toxics: timeout %d ms: must be >= 0", ms)
	}
	return newProfile("timeout", toxiproxy.Attributes{"timeout": ms}), nil
}

// ResetPeer resets the connection (TCP RST) after ms milliseconds; ms 0
// resets it at once.
func ResetPeer(ms int) (Profile, error) {
	if ms < 0 {
		return Profile{}, fmt.Errorf("toxics: reset_peer %d ms: must be >= 0", ms)
	}
	return newProfile("reset_peer", toxiproxy.Attributes{"timeout": ms}), nil
}

// Bandwidth limits the stream to kbps kilobytes per second; it must be > 0
// (a stream that passes nothing is Timeout(0)).
func Bandwidth(kbps int) (Profile, error) {
	if kbps <= 0 {
		return Profile{}, fmt.Errorf("toxics: bandwidth %d KB/s: must be > 0", kbps)
	}
	return newProfile("bandwidth", toxiproxy.Attributes{"rate": kbps}), nil
}

// Slicer cuts the stream into packets of avgBytes bytes on average (> 0),
// each up to variation bytes larger or smaller (0 <= variation < avgBytes),
// sent delayMicros microseconds apart (>= 0).
func Slicer(avgBytes, variation, delayMicros int) (Profile, error) {
	if avgBytes <= 0 || variation < 0 || variation >= avgBytes || delayMicros < 0 {
		return Profile{}, fmt.Errorf("toxics: slicer average %d B, variation %d B, delay %d µs: need average > 0, 0 <= variation < average, delay >= 0",
			avgBytes, variation, delayMicros)
	}
	return newProfile("slicer", toxiproxy.Attributes{
		"average_size":   avgBytes,
		"size_variation": variation,
		"delay":          delayMicros,
	}), nil
}

// WithToxicity returns p affecting a connection with probability t, which
// must be in [0, 1] (Add refuses anything else).
func (p Profile) WithToxicity(t float32) Profile {
	p.Toxicity = t
	return p
}

// WithStream returns p acting on stream (Downstream or Upstream), renamed
// to match unless it was given a name of its own.
func (p Profile) WithStream(stream string) Profile {
	if p.Name == p.Type+"_"+p.Stream {
		p.Name = p.Type + "_" + stream
	}
	p.Stream = stream
	return p
}

// WithName returns p named name.
func (p Profile) WithName(name string) Profile {
	p.Name = name
	return p
}

// Validate reports what is wrong with p, or nil.
func (p Profile) Validate() error {
	switch {
	case p.Name == "" || p.Type == "":
		return fmt.Errorf("toxics: a profile needs a name and a type; build it with a constructor")
	case p.Stream != Downstream && p.Stream != Upstream:
		return fmt.Errorf("toxics: %s: stream %q is neither %q nor %q", p.Name, p.Stream, Downstream, Upstream)
	case p.Toxicity < 0 || p.Toxicity > 1:
		return fmt.Errorf("toxics: %s: toxicity %v is outside [0, 1]", p.Name, p.Toxicity)
	}
	return nil
}

// Add puts p on proxy. A toxic of the same name already there is an error
// from Toxiproxy.
func (p Profile) Add(proxy *toxiproxy.Proxy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if _, err := proxy.AddToxic(p.Name, p.Type, p.Stream, p.Toxicity, p.Attributes); err != nil {
		return fmt.Errorf("toxics: adding %s to proxy %s: %w", p.Name, proxy.Name, err)
	}
	return nil
}

// Remove takes p off proxy.
func (p Profile) Remove(proxy *toxiproxy.Proxy) error {
	if err := proxy.RemoveToxic(p.Name); err != nil {
		return fmt.Errorf("toxics: removing %s from proxy %s: %w", p.Name, proxy.Name, err)
	}
	return nil
}

// Must returns p, or panics with err: for a profile whose arguments are
// constants, as in toxics.Add(t, proxy, toxics.Must(toxics.Latency(200, 0))).
func Must(p Profile, err error) Profile {
	if err != nil {
		panic(err)
	}
	return p
}

// Add puts p on proxy for the rest of the test, failing the test if
// Toxiproxy refuses, and returns the function that removes it early. The
// toxic is removed in t.Cleanup if still there, so a failing or panicking
// test leaves no toxic behind for the next.
func Add(t testing.TB, proxy *toxiproxy.Proxy, p Profile) (remove func()) {
	t.Helper()
	if err := p.Add(proxy); err != nil {
		t.Fatal(err)
	}
	return undo(t, func() error { return p.Remove(proxy) })
}

// Cut disables proxy for the rest of the test, as Down does, failing the
// test if Toxiproxy refuses, and returns the function that restores it
// early. The proxy is enabled again in t.Cleanup if still cut.
func Cut(t testing.TB, proxy *toxiproxy.Proxy) (restore func()) {
	t.Helper()
	if err := Down(proxy); err != nil {
		t.Fatal(err)
	}
	return undo(t, func() error { return Up(proxy) })
}

// undo returns a function that runs do once, reporting its error with
// t.Error, and registers it with t.Cleanup.
func undo(t testing.TB, do func() error) func() {
	var once sync.Once
	f := func() {
		t.Helper()
		once.Do(func() {
			if err := do(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(f)
	return f
}

// Down disables proxy: it closes every connection through it and refuses
// new ones until Up, as if the dependency were unreachable.
func Down(proxy *toxiproxy.Proxy) error {
	if err := proxy.Disable(); err != nil {
		return fmt.Errorf("toxics: disabling proxy %s: %w", proxy.Name, err)
	}
	return nil
}

// Up enables proxy again after Down.
func Up(proxy *toxiproxy.Proxy) error {
	if err := proxy.Enable(); err != nil {
		return fmt.Errorf("toxics: enabling proxy %s: %w", proxy.Name, err)
	}
	return nil
}
