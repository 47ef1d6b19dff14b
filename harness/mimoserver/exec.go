package mimoserver

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"mimo/harness/internal/containers"
)

// ExecTimeout bounds one command run by Exec, from its start to its exit.
const ExecTimeout = 5 * time.Minute

// Exec runs one Mimo command (`mimo ARGS…`: migrate, backup, restore,
// version, …) to its end in a new container of the image (DefaultImage
// unless opts name another with testcontainers.WithImage), customized by
// opts as Run's containers are, and removes the container. It returns the
// command's exit code and its output, stdout and stderr interleaved. err
// is for a container that could not run or did not end within
// ExecTimeout; a command that fails is an exit code, not an error.
func Exec(ctx context.Context, args []string, opts ...testcontainers.ContainerCustomizer) (code int, output string, err error) {
	c, _, err := containers.Run(ctx, testcontainers.ContainerRequest{
		Image:      DefaultImage,
		Cmd:        args,
		WaitingFor: wait.ForExit().WithExitTimeout(ExecTimeout),
	}, opts...)
	if c != nil {
		defer func() { _ = c.Terminate(context.WithoutCancel(ctx)) }()
	}
	if err != nil {
		return -1, "", fmt.Errorf("mimo %v: %w", args, err)
	}
	st, err := c.State(ctx)
	if err != nil {
		return -1, "", fmt.Errorf("mimo %v: %w", args, err)
	}
	logs, err := c.Logs(ctx)
	if err != nil {
		return st.ExitCode, "", fmt.Errorf("mimo %v: its output: %w", args, err)
	}
	defer logs.Close()
	out, err := io.ReadAll(logs)
	if err != nil {
		return st.ExitCode, string(out), fmt.Errorf("mimo %v: its output: %w", args, err)
	}
	return st.ExitCode, string(out), nil
}
