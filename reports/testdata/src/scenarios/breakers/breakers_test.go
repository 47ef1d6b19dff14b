package breakers

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

func TestDBCircuitTransitionsAndPostgresIsNotCalledWhileOpen(t *testing.T) { record.New(t, "db") }

func TestEmbedderCircuitTransitionsAndIsNotCalledWhileOpen(t *testing.T) { record.New(t, "embedder") }

func TestLLMCircuitTransitionsAndIsNotCalledWhileOpen(t *testing.T) { record.New(t, "llm") }
