package index

import (
	"testing"

	"mimo/system/internal/cputime"
)

// reportCPU adds the metric cpu-ns/op to b: the process's CPU time over
// the benchmark's loop a search, which other load on a shared machine
// changes far less than the wall time of ns/op. Call it before the loop.
func reportCPU(b *testing.B) {
	start := cputime.Process()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op")
		}
	})
}
