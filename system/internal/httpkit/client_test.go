package httpkit

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientKeepsIdleConnectionsAndItsTimeout(t *testing.T) {
	c := Client(3 * time.Second)
	assert.Equal(t, 3*time.Second, c.Timeout)
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, MaxIdleConnsPerHost, tr.MaxIdleConnsPerHost)
	assert.NotSame(t, http.DefaultTransport, tr, "the default transport is left as it is")
	assert.NotSame(t, tr, Client(time.Second).Transport, "each client has its own pool")
}
