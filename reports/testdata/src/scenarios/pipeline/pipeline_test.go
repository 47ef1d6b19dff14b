package pipeline

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

func TestPipelineThroughProxiesOnPostgres(t *testing.T) {
	rec := record.New(t, "pipeline")
	_ = rec
	t.Run("MCP tools and REST agree", func(t *testing.T) {})
}
