package containers

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Sweep removes the containers, then the networks, that Leftover says are
// self's leftovers (made by a harness process that is gone, as probe
// tells), and returns what it removed, "container <name> (<id>)" or
// "network <name>". Something already gone (another process sweeping at
// the same time) is not an error; every other failure is joined in the
// error, and the sweep goes on with the rest.
func Sweep(ctx context.Context, self Process, probe Probe) ([]string, error) {
	cli, err := DockerClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	// Only what carries a PID can be a leftover.
	owned := client.Filters{}.Add("label", LabelPID)
	var removed []string
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: owned})
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	for _, c := range cs.Items {
		if !Leftover(c.Labels, self, probe) {
			continue
		}
		_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("removing container %s: %w", c.ID, err))
			continue
		}
		removed = append(removed, fmt.Sprintf("container %s (%.12s)", c.Labels[Label], c.ID))
	}
	// Networks after containers: a network is removed only once nothing
	// is attached to it.
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: owned})
	if err != nil {
		return removed, errors.Join(append(errs, fmt.Errorf("listing networks: %w", err))...)
	}
	for _, n := range ns.Items {
		if !Leftover(n.Labels, self, probe) {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("removing network %s: %w", n.Name, err))
			continue
		}
		removed = append(removed, "network "+n.Name)
	}
	return removed, errors.Join(errs...)
}

// SweepSelf is Sweep for this process, asking this machine about PIDs.
func SweepSelf(ctx context.Context) ([]string, error) { return Sweep(ctx, Self(), probe) }
