// Package cputime reads the CPU time this process has used, so that
// benchmarks on a machine shared with other work can report what an
// operation costs in CPU, which other processes move far less than they
// move wall-clock time.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user and system CPU time the process has used so
// far, over all its threads; 0 if the kernel does not say.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PerOp reports, as the metric "cpu-µs/op", the CPU time used since start
// (a Process reading) divided by n operations.
func PerOp(b interface{ ReportMetric(float64, string) }, start time.Duration, n int) {
	if n <= 0 {
		return
	}
	b.ReportMetric(float64((Process()-start).Microseconds())/float64(n), "cpu-µs/op")
}
