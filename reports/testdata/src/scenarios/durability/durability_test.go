package durability

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

func TestSIGKILLDuringWritesLosesNoAcknowledgedWrite(t *testing.T) { record.New(t, "kill") }
