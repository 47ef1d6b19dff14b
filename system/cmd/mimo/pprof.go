//go:build mimopprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

// A profiling build (go build -tags mimopprof ./system/cmd/mimo) serves
// net/http/pprof on the address in PPROF_ADDR (say 127.0.0.1:6060), a side
// port apart from the API, which never exposes it. PPROF_ADDR is not a
// MIMO_ setting, so Mimo's own settings check leaves it alone; release
// builds (make build) do not contain this file. Used to profile the server
// under scripts/askbench.sh load (docs/BENCHMARKS.md, "Asking").
func init() {
	if addr := os.Getenv("PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
