package harness

import (
	"context"
	"time"

	"mimo/harness/internal/containers"
)

// stopTimeout is how long Stop lets a container shut down before Docker
// kills it.
const stopTimeout = 10 * time.Second

// Kill sends SIGKILL to container name (Mimo, Postgres, Standin,
// Toxiproxy, …): a crash, with no shutdown of any kind. StartContainer or
// Restart brings it back.
func (e *Env) Kill(name string) {
	e.t.Helper()
	if err := containers.Kill(context.Background(), e.container(name).GetContainerID()); err != nil {
		e.t.Fatalf("harness: kill %s: %v", name, err)
	}
}

// Stop stops container name gracefully (its stop signal, then SIGKILL
// after 10 seconds).
func (e *Env) Stop(name string) {
	e.t.Helper()
	d := stopTimeout
	if err := e.container(name).Stop(context.Background(), &d); err != nil {
		e.t.Fatalf("harness: stop %s: %v", name, err)
	}
}

// StartContainer starts container name after Kill or Stop and waits until
// it is ready by the same condition as at first start. Its host port
// changes, and its module follows: MimoURL, Client, Standin and
// Prometheus use the new one. A restarted Toxiproxy has lost its proxies
// and toxics; they are made again, without toxics, and Proxy returns the
// new ones. A restarted Prometheus has lost what it scraped.
func (e *Env) StartContainer(name string) {
	e.t.Helper()
	if err := e.container(name).Start(context.Background()); err != nil {
		e.t.Fatalf("harness: start %s: %v", name, err)
	}
}

// Restart stops container name gracefully and starts it again; see
// StartContainer.
func (e *Env) Restart(name string) {
	e.t.Helper()
	e.Stop(name)
	e.StartContainer(name)
}

// Pause freezes every process of container name (SIGSTOP to the cgroup):
// connections stay open and nothing answers, unlike Kill. Teardown
// unpauses it if the test does not.
func (e *Env) Pause(name string) {
	e.t.Helper()
	if err := containers.Pause(context.Background(), e.container(name).GetContainerID()); err != nil {
		e.t.Fatalf("harness: pause %s: %v", name, err)
	}
}

// Unpause resumes container name after Pause.
func (e *Env) Unpause(name string) {
	e.t.Helper()
	if err := containers.Unpause(context.Background(), e.container(name).GetContainerID()); err != nil {
		e.t.Fatalf("harness: unpause %s: %v", name, err)
	}
}
