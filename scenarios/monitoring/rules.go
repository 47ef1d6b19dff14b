package monitoring

import (
	"bytes"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// promql is Prometheus's own parser.
var promql = parser.NewParser(parser.Options{})

// ShortRules rewrites a Prometheus rules file (dashboards/prometheus's
// alerts.yml) for a scenario that must see alerts fire and resolve in
// seconds rather than minutes: every alert's for: becomes pending, and
// every range window of every expression ([5m], and a subquery's range)
// becomes window. Thresholds, comparisons, selectors, labels and
// annotations stay as they are. Expressions are read and written by
// Prometheus's own parser; a field ShortRules does not know, or an
// expression the parser refuses, is an error.
func ShortRules(yml []byte, pending, window time.Duration) (string, error) {
	groups, err := parseRules(yml)
	if err != nil {
		return "", err
	}
	for gi := range groups.Groups {
		for ri := range groups.Groups[gi].Rules {
			r := &groups.Groups[gi].Rules[ri]
			if r.Expr == "" {
				return "", fmt.Errorf("rule %s: no expression", r.Alert+r.Record)
			}
			expr, err := promql.ParseExpr(r.Expr)
			if err != nil {
				return "", fmt.Errorf("rule %s: %w", r.Alert+r.Record, err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				switch n := n.(type) {
				case *parser.MatrixSelector:
					n.Range, n.RangeExpr = window, nil
				case *parser.SubqueryExpr:
					n.Range, n.RangeExpr = window, nil
				}
				return nil
			})
			r.Expr = expr.String()
			if r.Alert != "" && r.For != 0 {
				r.For = model.Duration(pending)
			}
		}
	}
	out, err := yaml.Marshal(groups)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// ruleGroups is a rules file, each field as Prometheus reads it.
type ruleGroups struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string          `yaml:"name"`
	Interval *model.Duration `yaml:"interval,omitempty"`
	Rules    []rule          `yaml:"rules"`
}

type rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         model.Duration    `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// parseRules reads a rules file, refusing fields it does not know rather
// than dropping them.
func parseRules(yml []byte) (*ruleGroups, error) {
	dec := yaml.NewDecoder(bytes.NewReader(yml))
	dec.KnownFields(true)
	var g ruleGroups
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return &g, nil
}
