package evidence

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

var failOnPurpose = flag.Bool("mimo.fail-on-purpose", false, "")

func TestFailingScenarioOnPurpose(t *testing.T) {
	if !*failOnPurpose {
		t.Skip("fails on purpose")
	}
	record.New(t, "false claim")
}

func TestAFailedScenarioLeavesLogsAndEvidence(t *testing.T) { record.New(t, "evidence") }
