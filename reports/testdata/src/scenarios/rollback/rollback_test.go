package rollback

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

func TestRollbackDrill(t *testing.T) { record.New(t, "rollback") }
