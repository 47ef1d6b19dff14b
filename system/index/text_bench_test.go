package index

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	mimo "mimo/system"
	"mimo/system/internal/benchcorpus"
)

// fillText indexes n memories of the benchmark corpus (benchcorpus: about
// ten words each, mimobench's vocabulary) in the default namespace,
// categories cycling and a tag on every third, and returns the corpus for
// the queries.
func fillText(tb testing.TB, x *Text, n int) *benchcorpus.Corpus {
	tb.Helper()
	c, err := benchcorpus.Load(benchcorpus.VocabFile, 1)
	if err != nil {
		tb.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		d := TextDoc{
			ID:        fmt.Sprintf("0193a0b1-0000-7000-8000-%012d", i),
			Content:   c.Content(),
			Category:  mimo.Categories[i%len(mimo.Categories)],
			CreatedAt: base.Add(time.Duration(i) * time.Second),
		}
		if i%3 == 0 {
			d.Tags = []string{"ops"}
		}
		if err := x.Upsert(d); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

var textBenchSizes = []int{10_000, 100_000}

// BenchmarkTextSearch reports the time of one search (ns/op) and the
// median and 99th percentile over the run.
func BenchmarkTextSearch(b *testing.B) {
	for _, n := range textBenchSizes {
		x := NewText(TextOptions{})
		c := fillText(b, x, n)
		queries := make([]string, 256)
		for i := range queries {
			queries[i] = c.Query()
		}
		for _, tc := range []struct {
			name string
			f    mimo.Filter
		}{
			{"all", mimo.Filter{}},
			{"category+tag", mimo.Filter{Categories: []mimo.Category{mimo.CategoryFact}, Tags: []string{"ops"}}},
		} {
			b.Run(fmt.Sprintf("n=%d/%s", n, tc.name), func(b *testing.B) {
				took := make([]time.Duration, 0, b.N)
				i := 0
				for b.Loop() {
					t := time.Now()
					x.Search(queries[i%len(queries)], tc.f, 50)
					took = append(took, time.Since(t))
					i++
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
			})
		}
	}
}

// BenchmarkTextHeap reports what the index holds in the heap per memory
// (B/doc, after a collection, with the memories' content gone) and how
// long indexing took per memory.
func BenchmarkTextHeap(b *testing.B) {
	for _, n := range textBenchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				x := NewText(TextOptions{})
				t := time.Now()
				fillText(b, x, n)
				took := time.Since(t)
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/doc")
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
				b.ReportMetric(float64(took.Nanoseconds())/float64(n), "ns/doc")
				b.ReportMetric(float64(x.Terms("")), "terms")
				runtime.KeepAlive(x)
			}
		})
	}
}
