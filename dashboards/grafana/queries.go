package grafana

import (
	"fmt"
	"regexp"

	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// A Query is one PromQL query the dashboard sends Prometheus, as Grafana
// sends it but for its variables ($instance, $__rate_interval).
type Query struct {
	// Panel is the panel's title, or "variable NAME" for a variable's query.
	Panel string
	// RefID is the query's letter in its panel; empty for a variable.
	RefID string
	Expr  string
}

// labelValues is a query variable's label_values(SERIES, LABEL).
var labelValues = regexp.MustCompile(`^label_values\((.+), \w+\)$`)

// Queries lists every panel's queries in the dashboard's order, then the
// series each query variable reads its values from.
func Queries() ([]Query, error) {
	d, err := Dashboard()
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue // a row
		}
		for _, t := range p.Panel.Targets {
			q, ok := t.(prometheus.Dataquery)
			if !ok {
				return nil, fmt.Errorf("grafana: panel %q: a %T, not a Prometheus query", deref(p.Panel.Title), t)
			}
			out = append(out, Query{deref(p.Panel.Title), deref(q.RefId), q.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Query == nil || v.Query.String == nil {
			continue
		}
		if m := labelValues.FindStringSubmatch(*v.Query.String); m != nil {
			out = append(out, Query{"variable " + v.Name, "", m[1]})
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
