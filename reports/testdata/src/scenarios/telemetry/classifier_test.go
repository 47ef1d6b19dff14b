package telemetry

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

func TestClassifierCacheHitsAndMissesReachMetricsAndPrometheus(t *testing.T) {
	record.New(t, "telemetry")
}
