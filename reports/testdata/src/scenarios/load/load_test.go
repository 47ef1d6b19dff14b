package load

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

const envGates = "MIMO_LOAD_GATES"

func TestSeedGatePassesAt100VUsOver10000Memories(t *testing.T) {
	if os.Getenv(envGates) == "" {
		t.Skipf("set %s=1 to run: the seed's latency gate", envGates)
	}
	record.New(t, "gate")
}

func TestTenPercentBackendFaultsKeepClientErrorsUnderOnePercent(t *testing.T) {
	record.New(t, "faults")
}

func TestResidentMemoryStaysFlatUnderTheGate(t *testing.T) { record.New(t, "memory") }
