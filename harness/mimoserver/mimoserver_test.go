package mimoserver_test

import (
	"testing"
	"time"

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
	}, req.Env)
	assert.Equal(t, "mimo-2:4000", mimoserver.NetworkAddr("mimo-2"))
}
