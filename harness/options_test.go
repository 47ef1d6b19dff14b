package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProxyAddrs(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range []string{ProxyPostgres, ProxyOllama, ProxyLLM} {
		addr := ProxyAddr(name)
		assert.Regexp(t, `^toxiproxy:\d+$`, addr, name)
		assert.False(t, seen[addr], "each proxy listens on its own port")
		seen[addr] = true
	}
	assert.Empty(t, ProxyAddr("nope"))
}
