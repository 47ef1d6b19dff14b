//go:build !unix

package containers

// probe cannot look processes up here: every process is taken to be
// running, so Sweep removes nothing.
func probe(int) (running bool, started string) { return true, "" }

func pidNamespace() string { return "" }
