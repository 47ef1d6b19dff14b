package index

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	mimo "mimo/system"
)

// The text benchmarks index memories of about ten words drawn from the
// vocabulary of mimobench's synthetic corpus (its vocab.go, read as
// source so the lists are the same), and search with its kind of query:
// 2 to 8 words, each from a list chosen at random.
const vocabFile = "../../harness/cmd/mimobench/vocab.go"

// vocabLists returns the word lists of vocabFile, the variables initialised
// with strings.Fields of a raw string.
func vocabLists(tb testing.TB) [][]string {
	tb.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), vocabFile, nil, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var lists [][]string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Fields" {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			if err == nil && len(strings.Fields(s)) > 0 {
				lists = append(lists, strings.Fields(s))
			}
		}
		return false
	})
	if len(lists) < 5 {
		tb.Fatalf("%s: only %d word lists found", vocabFile, len(lists))
	}
	return lists
}

// textCorpus draws memories and queries from the vocabulary.
type textCorpus struct {
	lists [][]string
	r     *rand.Rand
}

// glue are the function words between a memory's vocabulary words.
var glue = strings.Fields("the a of for and in on with is to our we uses runs")

func (c *textCorpus) word() string {
	l := c.lists[c.r.IntN(len(c.lists))]
	return l[c.r.IntN(len(l))]
}

// content is about ten words: seven from the vocabulary, three function
// words.
func (c *textCorpus) content() string {
	words := make([]string, 0, 10)
	for i := range 10 {
		if i%3 == 1 {
			words = append(words, glue[c.r.IntN(len(glue))])
		} else {
			words = append(words, c.word())
		}
	}
	return strings.Join(words, " ")
}

func (c *textCorpus) query() string {
	words := make([]string, 2+c.r.IntN(7))
	for i := range words {
		words[i] = c.word()
	}
	return strings.Join(words, " ")
}

// fillText indexes n memories in the default namespace, categories cycling
// and a tag on every third, and returns the corpus for queries.
func fillText(tb testing.TB, x *Text, n int) *textCorpus {
	tb.Helper()
	c := &textCorpus{lists: vocabLists(tb), r: rand.New(rand.NewPCG(1, 2))}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		d := TextDoc{
			ID:        fmt.Sprintf("0193a0b1-0000-7000-8000-%012d", i),
			Content:   c.content(),
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
			queries[i] = c.query()
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
