package index

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkHeap reports what the vector index holds in the heap per entry
// (B/entry, after a collection, 384 dimensions, IDs of 8 bytes) and how long
// an upsert took.
func BenchmarkHeap(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				x := New(Options{Dim: 384})
				t := time.Now()
				fill(b, x, n, rand.New(rand.NewPCG(1, 2)))
				took := time.Since(t)
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/entry")
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
				b.ReportMetric(float64(took.Nanoseconds())/float64(n), "ns/upsert")
				runtime.KeepAlive(x)
			}
		})
	}
}
