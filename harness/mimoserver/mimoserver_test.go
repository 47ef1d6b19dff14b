package mimoserver_test

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness/mimoserver"
)

func TestOptionsSetMimosSettings(t *testing.T) {
	var req testcontainers.GenericContainerRequest
	for _, o := range []testcontainers.CustomizeRequestOption{
		mimoserver.WithDatabaseURL("postgres://u@db:5432/m"),
		mimoserver.WithLLM("openai", "http://llm/v1", "chat"),
		mimoserver.WithBreaker(3, 1500*time.Millisecond),
		mimoserver.WithAPIKey("k"),
		mimoserver.WithEmbedder("ollama", "http://toxiproxy:21434", "nomic-embed-text", 768),
		mimoserver.WithEmbedTimeout(2 * time.Second),
		mimoserver.WithReadCache(1 << 20),
		mimoserver.WithSpoolMax(0),
	} {
		require.NoError(t, o.Customize(&req))
	}
	assert.Equal(t, map[string]string{
		"MIMO_DATABASE_URL":     "postgres://u@db:5432/m",
		"MIMO_LLM":              "openai",
		"MIMO_LLM_URL":          "http://llm/v1",
		"MIMO_LLM_MODEL":        "chat",
		"MIMO_BREAKER_FAILURES": "3",
		"MIMO_BREAKER_RESET":    "1.5s",
		"MIMO_API_KEY":          "k",
		"MIMO_EMBEDDER":         "ollama",
		"MIMO_EMBED_URL":        "http://toxiproxy:21434",
		"MIMO_EMBED_MODEL":      "nomic-embed-text",
		"MIMO_EMBED_DIM":        "768",
		"MIMO_EMBED_TIMEOUT":    "2s",
		"MIMO_READ_CACHE":       "1048576",
		"MIMO_SPOOL_MAX":        "0",
	}, req.Env)
	assert.Equal(t, "mimo-2:4000", mimoserver.NetworkAddr("mimo-2"))
}

func TestWithEmbedderLeavesUnsetSettingsToMimo(t *testing.T) {
	var req testcontainers.GenericContainerRequest
	require.NoError(t, mimoserver.WithEmbedder("builtin", "", "", 0).Customize(&req))
	assert.Equal(t, map[string]string{"MIMO_EMBEDDER": "builtin"}, req.Env)
}

func TestWithSQLiteOverridesPostgresAndMountsTheDataFolder(t *testing.T) {
	var req testcontainers.GenericContainerRequest
	for _, o := range []testcontainers.CustomizeRequestOption{
		mimoserver.WithDatabaseURL("postgres://u@db:5432/m"),
		mimoserver.WithSQLite("/srv/mimo-data"),
	} {
		require.NoError(t, o.Customize(&req))
	}
	assert.Equal(t, map[string]string{"MIMO_DATABASE_URL": "", "MIMO_DATA_DIR": mimoserver.DataDir}, req.Env)
	require.NotNil(t, req.HostConfigModifier)
	var hc container.HostConfig
	req.HostConfigModifier(&hc)
	assert.Equal(t, []string{"/srv/mimo-data:" + mimoserver.DataDir}, hc.Binds)
}
