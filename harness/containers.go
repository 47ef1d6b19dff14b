package harness

import (
	"context"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// stopTimeout is how long Stop lets a container shut down before Docker
// kills it.
const stopTimeout = 10 * time.Second

// Kill sends SIGKILL to container name (Mimo, Postgres, Standin or
// Toxiproxy): a crash, with no shutdown of any kind. Start or Restart
// brings it back.
func (e *Env) Kill(name string) {
	e.t.Helper()
	ctx := context.Background()
	c := e.container(name)
	cli, err := dockerClient(ctx)
	if err != nil {
		e.t.Fatalf("harness: kill %s: %v", name, err)
	}
	defer cli.Close()
	if _, err := cli.ContainerKill(ctx, c.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		e.t.Fatalf("harness: kill %s: %v", name, err)
	}
	// Wait for the engine to see it exit, so a Start right after does not
	// race the kill.
	w := cli.ContainerWait(ctx, c.GetContainerID(), client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-w.Result:
	case err := <-w.Error:
		e.t.Fatalf("harness: kill %s: waiting for it to exit: %v", name, err)
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
// changes: MimoURL, Client and Standin follow. A restarted Toxiproxy has
// lost its proxies and toxics; they are made again, without toxics, and
// Proxy returns the new ones. A restarted Prometheus has lost what it
// scraped; Prometheus and Query follow its new port.
func (e *Env) StartContainer(name string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.container(name).Start(ctx); err != nil {
		e.t.Fatalf("harness: start %s: %v", name, err)
	}
	switch name {
	case Toxiproxy:
		e.connectToxiproxy(ctx)
	case Mimo, Standin:
		e.refreshEndpoints(ctx)
	case Prometheus:
		e.connectPrometheus(ctx)
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
	ctx := context.Background()
	cli, err := dockerClient(ctx)
	if err != nil {
		e.t.Fatalf("harness: pause %s: %v", name, err)
	}
	defer cli.Close()
	if _, err := cli.ContainerPause(ctx, e.container(name).GetContainerID(), client.ContainerPauseOptions{}); err != nil {
		e.t.Fatalf("harness: pause %s: %v", name, err)
	}
}

// Unpause resumes container name after Pause.
func (e *Env) Unpause(name string) {
	e.t.Helper()
	if err := e.unpause(context.Background(), e.container(name)); err != nil {
		e.t.Fatalf("harness: unpause %s: %v", name, err)
	}
}

func (e *Env) unpause(ctx context.Context, c *testcontainers.DockerContainer) error {
	cli, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.ContainerUnpause(ctx, c.GetContainerID(), client.ContainerUnpauseOptions{})
	return err
}
