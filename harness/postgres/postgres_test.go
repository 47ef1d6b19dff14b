package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness/postgres"
)

func TestOptionsAndURL(t *testing.T) {
	var req testcontainers.GenericContainerRequest
	require.NoError(t, postgres.WithUser("app").Customize(&req))
	require.NoError(t, postgres.WithDatabase("memories").Customize(&req))
	assert.Equal(t, map[string]string{"POSTGRES_USER": "app", "POSTGRES_DB": "memories"}, req.Env)

	c := &postgres.Container{User: "app", Database: "memories"}
	assert.Equal(t, "postgres://app:app@toxiproxy:15432/memories?sslmode=disable", c.URL("toxiproxy:15432"))
}
