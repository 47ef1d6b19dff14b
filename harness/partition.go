package harness

import (
	"context"
	"sync"
	"testing"

	"mimo/harness/internal/containers"
)

// Partition cuts container name (Postgres, Standin, Toxiproxy, …) off the
// environment's private network, as docker network disconnect does: unlike
// a proxy cut (toxics.Cut), which refuses connections at once, packets to
// and from it are simply lost, so open connections hang until their
// timeouts and its name stops resolving. Its published ports go with the
// network, so the harness cannot reach it either (a partitioned Mimo
// cannot be asked anything). It fails t if Docker refuses, and returns the
// function that heals the partition, putting the container back under
// its name; the partition is healed in t.Cleanup if still there.
func (e *Env) Partition(t testing.TB, name string) (heal func()) {
	t.Helper()
	id := e.container(name).GetContainerID()
	if err := containers.Disconnect(context.Background(), e.network.ID, id); err != nil {
		t.Fatalf("harness: partitioning %s: %v", name, err)
	}
	var once sync.Once
	heal = func() {
		t.Helper()
		once.Do(func() {
			if err := containers.Connect(context.Background(), e.network.ID, id, name); err != nil {
				t.Errorf("harness: healing the partition of %s: %v", name, err)
			}
		})
	}
	t.Cleanup(heal)
	return heal
}
