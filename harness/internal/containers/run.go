package containers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// StartupTimeout bounds how long a module waits for its container to
// become ready.
const StartupTimeout = 2 * time.Minute

// Label marks every container and network the harness makes, valued with
// the container's name.
const Label = "org.mimo.harness"

// Run starts a container from req, a module's defaults, customized by
// opts in order (testcontainers-go's options and the module's own), and
// returns it with the request as customized, from which a module reads
// its settings. An image that is not on this machine is an error: nothing
// is pulled. A container that was created is returned even with an error,
// so the caller can remove it.
func Run(ctx context.Context, req testcontainers.ContainerRequest, opts ...testcontainers.ContainerCustomizer) (*testcontainers.DockerContainer, testcontainers.GenericContainerRequest, error) {
	LocalHost()
	greq := testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true}
	for _, o := range opts {
		if err := o.Customize(&greq); err != nil {
			return nil, greq, fmt.Errorf("customize: %w", err)
		}
	}
	if err := RequireImages(ctx, greq.Image); err != nil {
		return nil, greq, err
	}
	c, err := testcontainers.GenericContainer(ctx, greq)
	var dc *testcontainers.DockerContainer
	if c != nil {
		dc = c.(*testcontainers.DockerContainer)
	}
	if err != nil {
		return dc, greq, fmt.Errorf("%s: %w", greq.Image, err)
	}
	return dc, greq, nil
}

// Endpoint is "scheme://host:port" of port (such as "4000/tcp") as
// published on this machine; Docker picks the host port anew each time
// the container starts.
func Endpoint(ctx context.Context, c *testcontainers.DockerContainer, port, scheme string) (string, error) {
	u, err := c.PortEndpoint(ctx, port, scheme)
	if err != nil {
		return "", fmt.Errorf("the address of %s: %w", port, err)
	}
	return u, nil
}

// Kill sends SIGKILL to the container id and waits until the engine sees
// it exit, so a start right after does not race the kill.
func Kill(ctx context.Context, id string) error {
	cli, err := DockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return err
	}
	w := cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-w.Result:
		return nil
	case err := <-w.Error:
		return fmt.Errorf("waiting for it to exit: %w", err)
	}
}

// Pause freezes every process of the container id (SIGSTOP to its cgroup).
func Pause(ctx context.Context, id string) error {
	cli, err := DockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	return err
}

// Unpause resumes the container id after Pause.
func Unpause(ctx context.Context, id string) error {
	cli, err := DockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	return err
}

// Addr is a container port's published address, read once per start so
// that polling it does not ask Docker each time. Safe for concurrent use.
type Addr struct {
	port, scheme string

	mu  sync.Mutex
	url string
}

// NewAddr reads port's address (such as "4000/tcp") of c with scheme.
func NewAddr(ctx context.Context, c *testcontainers.DockerContainer, port, scheme string) (*Addr, error) {
	a := &Addr{port: port, scheme: scheme}
	return a, a.Refresh(ctx, c)
}

// Refresh reads the address again, after the container started again.
func (a *Addr) Refresh(ctx context.Context, c *testcontainers.DockerContainer) error {
	u, err := Endpoint(ctx, c, a.port, a.scheme)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.url = u
	a.mu.Unlock()
	return nil
}

// URL is the address as last read.
func (a *Addr) URL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.url
}
