// Package containers is what the harness's container modules share: the
// Docker client with testcontainers' reaper off, the refusal to pull, a
// Run that applies testcontainers-go's customizers to a module's defaults,
// the lifecycle calls testcontainers does not have (SIGKILL, pause), and
// the labels naming the process that made a container, by which Sweep
// removes what killed processes left.
package containers

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// noReaper turns testcontainers' reaper off before testcontainers reads its
// configuration (once per process): the reaper runs an image that would
// have to be pulled, and the harness does its own cleanup.
var noReaper = sync.OnceFunc(func() {
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
})

// LocalHost points testcontainers at "localhost" for published ports when
// the Docker engine runs on this machine but testcontainers would guess
// otherwise. Inside a container (a /.dockerenv file) it takes the default
// bridge's gateway, and when the engine leaves that gateway out of its
// configuration it falls back to this machine's default route, which may
// reach no published port at all. The engine is on this machine when it is
// reached by a unix socket and the bridge's gateway address is one of this
// machine's. TESTCONTAINERS_HOST_OVERRIDE, when set, is left alone.
var LocalHost = sync.OnceFunc(func() {
	if _, ok := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := DockerClient(ctx)
	if err != nil {
		return
	}
	defer cli.Close()
	if u, err := url.Parse(cli.DaemonHost()); err != nil || u.Scheme != "unix" {
		return
	}
	res, err := cli.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return
	}
	local := localAddrs()
	for _, cfg := range res.Network.IPAM.Config {
		gw := cfg.Gateway
		if !gw.IsValid() && cfg.Subnet.IsValid() {
			// Docker gives the bridge the subnet's first address.
			gw = cfg.Subnet.Masked().Addr().Next()
		}
		if local[gw] {
			os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "localhost")
			return
		}
	}
})

func localAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out[p.Addr()] = true
		}
	}
	return out
}

// DockerClient returns a client of the Docker engine testcontainers uses,
// after making sure the reaper is off.
func DockerClient(ctx context.Context) (*testcontainers.DockerClient, error) {
	noReaper()
	return testcontainers.NewDockerClientWithOpts(ctx)
}

// DockerReachable reports why the Docker engine cannot be used, or nil.
// It waits at most 10 seconds.
func DockerReachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cli, err := DockerClient(ctx)
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("docker engine: %w", err)
	}
	return nil
}

// RequireImages fails unless every image is present locally, so that
// testcontainers never falls back to pulling one.
func RequireImages(ctx context.Context, images ...string) error {
	cli, err := DockerClient(ctx)
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	for _, img := range images {
		if _, err := cli.ImageInspect(ctx, img); err != nil {
			return fmt.Errorf("image %s is not on this machine (%v); build it with make images, the harness never pulls", img, err)
		}
	}
	return nil
}
