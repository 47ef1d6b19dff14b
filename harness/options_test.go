package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness/faults"
	"mimo/harness/standin"
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

func TestOptionsEmbedder(t *testing.T) {
	for _, name := range []string{"", EmbedderBuiltin} {
		o, err := Options{Embedder: name}.embedder()
		assert.NoError(t, err, name)
		assert.Nil(t, o, "%q leaves Mimo on its builtin embedder, setting nothing", name)
	}

	o, err := Options{Embedder: EmbedderOllama}.embedder()
	require.NoError(t, err)
	var req testcontainers.GenericContainerRequest
	require.NoError(t, o.Customize(&req))
	assert.Equal(t, map[string]string{
		"MIMO_EMBEDDER":    "ollama",
		"MIMO_EMBED_URL":   "http://" + ProxyAddr(ProxyOllama),
		"MIMO_EMBED_MODEL": standin.DefaultEmbedModel,
		"MIMO_EMBED_DIM":   "768",
	}, req.Env, "the stand-in's model and dimension, through the ollama proxy")

	_, err = Options{Embedder: "openai"}.embedder()
	assert.ErrorContains(t, err, `"openai"`)
}

func TestFaultProfilesNameTheHarnessProxies(t *testing.T) {
	for _, name := range faults.Names() {
		p, err := faults.Lookup(name)
		require.NoError(t, err)
		for _, tx := range p.Toxics {
			assert.NotEmpty(t, ProxyAddr(tx.Proxy), "profile %s puts %s on proxy %q, which the harness makes", name, tx.Name, tx.Proxy)
		}
	}
}
