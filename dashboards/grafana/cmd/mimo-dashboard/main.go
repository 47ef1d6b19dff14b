// Command mimo-dashboard writes Mimo's Grafana dashboard, as package
// grafana builds it, to the file named by -o (standard output without it).
// `make dashboards` writes dashboards/grafana/dashboards/mimo.json with it.
package main

import (
	"flag"
	"fmt"
	"os"

	"mimo/dashboards/grafana"
)

func main() {
	out := flag.String("o", "", "file to write the dashboard's JSON to; standard output when empty")
	flag.Parse()
	b, err := grafana.JSON()
	if err == nil {
		if *out == "" {
			_, err = os.Stdout.Write(b)
		} else {
			err = os.WriteFile(*out, b, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mimo-dashboard:", err)
		os.Exit(1)
	}
}
