// Package modules checks the harness's container modules on their own,
// where a scenario would only see them through harness.Start.
package modules

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/harness"
	"mimo/harness/toxiproxy"
)

// TestRestartedToxiproxyGetsItsProxiesBack runs the module itself, with the
// image make images builds; without Docker it skips, or fails under CI=true.
func TestRestartedToxiproxyGetsItsProxiesBack(t *testing.T) {
	harness.RequireDocker(t)
	ctx := context.Background()
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
