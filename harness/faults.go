package harness

import (
	"context"
	"testing"

	"mimo/harness/faults"
)

// Faults puts the backend fault profile p (package faults, such as
// faults.TenPercent) on the environment's proxies and stand-in for the
// rest of the test, failing t if Toxiproxy or the stand-in refuses, and
// returns the function that takes it off early; it is taken off in
// t.Cleanup if still on. Taking it off clears every stand-in fault.
func (e *Env) Faults(t testing.TB, p faults.Profile) (remove func()) {
	t.Helper()
	ctx := context.Background()
	if err := p.Apply(ctx, e.toxiproxy.Client(), e.Standin()); err != nil {
		t.Fatalf("harness: %v", err)
	}
	var done bool
	remove = func() {
		t.Helper()
		e.mu.Lock()
		first := !done
		done = true
		e.mu.Unlock()
		if first {
			if err := p.Remove(context.Background(), e.toxiproxy.Client(), e.Standin()); err != nil {
				t.Errorf("harness: %v", err)
			}
		}
	}
	t.Cleanup(remove)
	return remove
}
