// Package standinserver is the harness's container of the stand-in for the
// model servers (package standin: Ollama's and OpenAI's protocols), a
// module in testcontainers-go's style: Run starts it, and the Container
// gives the control client of its faults and counters at its current
// address.
package standinserver

import (
	"context"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"mimo/harness/internal/containers"
	"mimo/harness/standin"
)

// DefaultImage is the image Run starts; make images builds it.
const DefaultImage = "mimo-harness/standin:latest"

// Port is the stand-in's one port inside the container: both protocols
// and the control API.
const Port = "11434/tcp"

// Container is a running stand-in.
type Container struct {
	*testcontainers.DockerContainer
	addr *containers.Addr
}

// Run starts the stand-in and waits until its control API answers.
func Run(ctx context.Context, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	c, _, err := containers.Run(ctx, testcontainers.ContainerRequest{
		Image:        DefaultImage,
		ExposedPorts: []string{Port},
		WaitingFor:   wait.ForHTTP("/_control/counters").WithPort(Port).WithStartupTimeout(containers.StartupTimeout),
	}, opts...)
	if c == nil {
		return nil, err
	}
	s := &Container{DockerContainer: c}
	if err != nil {
		return s, err
	}
	s.addr, err = containers.NewAddr(ctx, c, Port, "http")
	return s, err
}

// URL is the stand-in's root URL from this machine, such as
// "http://127.0.0.1:32768". It changes when the container restarts.
func (c *Container) URL() string { return c.addr.URL() }

// Control returns the control client at the current address.
func (c *Container) Control() *standin.Control {
	return &standin.Control{BaseURL: c.URL()}
}

// Start starts the container again after a stop or a kill and follows its
// new host port.
func (c *Container) Start(ctx context.Context) error {
	if err := c.DockerContainer.Start(ctx); err != nil {
		return err
	}
	return c.addr.Refresh(ctx, c.DockerContainer)
}
