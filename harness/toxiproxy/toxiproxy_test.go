package toxiproxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness/internal/containers"
	"mimo/harness/toxiproxy"
)

// TestRestartMakesTheProxiesAgain runs the module itself; it skips where
// there is no Docker or no image (make images builds it).
func TestRestartMakesTheProxiesAgain(t *testing.T) {
	ctx := context.Background()
	if err := containers.DockerReachable(ctx); err != nil {
		t.Skipf("no Docker: %v", err)
	}
	if err := containers.RequireImages(ctx, toxiproxy.DefaultImage); err != nil {
		t.Skip(err)
	}
	c, err := toxiproxy.Run(ctx)
	if c != nil {
		t.Cleanup(func() { assert.NoError(t, c.Terminate(context.Background())) })
	}
	require.NoError(t, err)
	_, err = c.CreateProxy("db", "0.0.0.0:15432", "example:5432")
	require.NoError(t, err)
	assert.Equal(t, []string{"db"}, c.Names())

	stop := 10 * time.Second
	require.NoError(t, c.Stop(ctx, &stop))
	require.NoError(t, c.Start(ctx))
	proxies, err := c.Client().Proxies()
	require.NoError(t, err, "the client follows the new port")
	require.Contains(t, proxies, "db", "the proxy is made again in the restarted Toxiproxy")
	assert.Equal(t, "example:5432", proxies["db"].Upstream)
	p, ok := c.Proxy("db")
	require.True(t, ok)
	assert.Equal(t, proxies["db"].Listen, p.Listen)
}
