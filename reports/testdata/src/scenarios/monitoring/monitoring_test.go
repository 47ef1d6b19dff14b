package monitoring

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

func TestBreakerFallbackAndDownAlertsFireOnAFailingModelAndAStoppedMimoAndResolve(t *testing.T) {
	record.New(t, "alerts")
}

func TestEveryDashboardPanelsQueryReturnsDataFromPrometheusAfterTraffic(t *testing.T) {
	record.New(t, "panels")
}

// A unit test of the package: it records nothing, so no record is expected.
func TestRulesParse(t *testing.T) {}
