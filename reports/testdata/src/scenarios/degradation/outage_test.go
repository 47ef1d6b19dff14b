package degradation

import (
	"flag"
	"os"
	"testing"

	"mimo/harness/record"
)

// The record starts in a helper, in a sub-test: the test still expects one.
func TestPostgresOutageReadsFromTheCacheQueuesWritesAndAppliesEachOnce(t *testing.T) {
	t.Run("proxy down", func(t *testing.T) { outage(t) })
}

func outage(t *testing.T) { record.New(t, "outage") }
