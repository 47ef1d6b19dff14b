package index

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	mimo "mimo/system"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZCPU(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	q, v := randomVector(384, rng), randomVector(384, rng)
	p := newProbe(q)
	row := make([]uint64, wordsFor(384))
	quantize(v, row)
	const N = 3_000_000
	out := make([]int32, 1)
	var sink uint64
	c0 := cpuNow()
	for i := 0; i < N; i++ {
		p.codeDots(row, len(row), []quant{{}}, []int32{0}, out)
		sink += uint64(out[0])
	}
	c1 := cpuNow()
	var fs float32
	for i := 0; i < N; i++ {
		fs += dot(q, v)
	}
	c2 := cpuNow()
	fmt.Printf("codeDot %.1f ns cpu, dot %.1f ns cpu (%d %v)\n", float64(c1-c0)/N, float64(c2-c1)/N, sink, fs)
	for _, n := range []int{10_000, 100_000} {
		x := New(Options{Dim: 384})
		fill(t, x, n, rng)
		for _, f := range []mimo.Filter{{}, {Categories: []mimo.Category{mimo.CategoryFact}}} {
			qs := make([][]float32, 32)
			for i := range qs {
				qs[i] = randomVector(384, rng)
			}
			reps := 2_000_000_000 / (n * 384)
			w0 := time.Now()
			c0 := cpuNow()
			for i := 0; i < reps; i++ {
				x.Search(qs[i%len(qs)], f, 50)
			}
			fmt.Printf("n=%d filter=%v: %.2f ms cpu/search, %.2f ms wall\n", n, f.Categories, float64(cpuNow()-c0)/float64(reps)/1e6, float64(time.Since(w0))/float64(reps)/1e6)
		}
	}
}
