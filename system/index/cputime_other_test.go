//go:build !unix

package index

import "testing"

// reportCPU reports nothing where the process's CPU time is not at hand.
func reportCPU(b *testing.B) {}
