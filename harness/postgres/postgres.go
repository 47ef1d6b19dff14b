// Package postgres is the harness's Postgres container, a module in
// testcontainers-go's style: Run starts it from the locally built image,
// customized by testcontainers-go's options and this package's, and
// returns a Container that knows its user and database.
package postgres

import (
	"context"
	"fmt"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"mimo/harness/internal/containers"
)

// DefaultImage is the image Run starts; make images builds it.
const DefaultImage = "mimo-harness/postgres:latest"

// Port is Postgres's port inside the container.
const Port = "5432/tcp"

// The user and database Run creates unless told otherwise. The image
// trusts every host on its network, so no password is ever checked.
const (
	DefaultUser     = "mimo"
	DefaultDatabase = "mimo"
)

// Container is a running Postgres.
type Container struct {
	*testcontainers.DockerContainer
	// User and Database are the role and database the image created.
	User, Database string
}

// WithUser makes the image create user (instead of DefaultUser).
func WithUser(user string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"POSTGRES_USER": user})
}

// WithDatabase makes the image create database (instead of
// DefaultDatabase), owned by the user.
func WithDatabase(database string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"POSTGRES_DB": database})
}

// Run starts Postgres and waits until it accepts connections.
func Run(ctx context.Context, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	c, req, err := containers.Run(ctx, testcontainers.ContainerRequest{
		Image:        DefaultImage,
		Env:          map[string]string{"POSTGRES_USER": DefaultUser, "POSTGRES_DB": DefaultDatabase},
		ExposedPorts: []string{Port},
		// The log line alone would also match an earlier run's after a
		// restart; the port check is what holds then.
		WaitingFor: wait.ForAll(
			wait.ForLog("database system is ready to accept connections"),
			wait.ForListeningPort(Port),
		).WithDeadline(containers.StartupTimeout),
	}, opts...)
	var pg *Container
	if c != nil {
		pg = &Container{DockerContainer: c, User: req.Env["POSTGRES_USER"], Database: req.Env["POSTGRES_DB"]}
	}
	return pg, err
}

// URL is the connection URL of the database at hostport: the container's
// name and port on its network, or a proxy's address in front of it.
func (c *Container) URL(hostport string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", c.User, c.User, hostport, c.Database)
}

// HostURL is the connection URL from this machine, at the port Docker
// published (which changes when the container restarts).
func (c *Container) HostURL(ctx context.Context) (string, error) {
	hp, err := c.PortEndpoint(ctx, Port, "")
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	return c.URL(hp), nil
}
