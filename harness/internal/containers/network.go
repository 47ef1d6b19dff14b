package containers

import (
	"context"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// Disconnect takes the container id off the network networkID, as docker
// network disconnect --force does: its connections through that network
// stop passing packets (no reset: peers see silence), and its name there
// no longer resolves.
func Disconnect(ctx context.Context, networkID, id string) error {
	cli, err := DockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.NetworkDisconnect(ctx, networkID, client.NetworkDisconnectOptions{Container: id, Force: true})
	return err
}

// Connect puts the container id back on the network networkID under
// aliases, after Disconnect.
func Connect(ctx context.Context, networkID, id string, aliases ...string) error {
	cli, err := DockerClient(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.NetworkConnect(ctx, networkID, client.NetworkConnectOptions{
		Container:      id,
		EndpointConfig: &network.EndpointSettings{Aliases: aliases},
	})
	return err
}
