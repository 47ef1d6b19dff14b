package load

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Duration is a k6 duration: a string Go can parse ("5m", "1m30s", "500ms") or a number of
// milliseconds.
type Duration time.Duration

// UnmarshalJSON accepts "1m30s" or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := ParseDuration(s)
		*d = Duration(v)
		return err
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration: expected a string like \"30s\" or milliseconds, got %s", b)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// MarshalJSON writes the duration as Go spells it.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ParseDuration parses a k6 duration string: Go's syntax, a bare number of seconds, or with
// a "d" for days ("1d2h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: expected e.g. 30s, 1m30s, 500ms", s)
	}
	return days + d, nil
}

// Stage is one step of a ramping executor: reach Target (VUs, or iterations per timeUnit)
// linearly over Duration.
type Stage struct {
	Duration Duration `json:"duration"`
	Target   int64    `json:"target"`
}

// Options are a test's options as k6 reads them from `export const options`, a config file
// and flags. A nil pointer or empty field means "not set here"; defaults are k6's.
type Options struct {
	VUs        *int64                     `json:"vus,omitempty"`
	Duration   *Duration                  `json:"duration,omitempty"`
	Iterations *int64                     `json:"iterations,omitempty"`
	Stages     []Stage                    `json:"stages,omitempty"`
	Scenarios  map[string]*Scenario       `json:"scenarios,omitempty"`
	Thresholds map[string][]ThresholdSpec `json:"thresholds,omitempty"`

	Tags                  map[string]string `json:"tags,omitempty"`
	SummaryTrendStats     []string          `json:"summaryTrendStats,omitempty"`
	Hosts                 map[string]string `json:"hosts,omitempty"`
	InsecureSkipTLSVerify *bool             `json:"insecureSkipTLSVerify,omitempty"`
	UserAgent             *string           `json:"userAgent,omitempty"`
	DiscardResponseBodies *bool             `json:"discardResponseBodies,omitempty"`
	Throw                 *bool             `json:"throw,omitempty"`
	Batch                 *int64            `json:"batch,omitempty"`
	MaxRedirects          *int64            `json:"maxRedirects,omitempty"`
	SetupTimeout          *Duration         `json:"setupTimeout,omitempty"`
	TeardownTimeout       *Duration         `json:"teardownTimeout,omitempty"`
	NoColor               *bool             `json:"noColor,omitempty"`
}

// Apply returns o with every field set in over replacing o's. As in k6, setting duration,
// iterations or stages in a later layer (flags over the script) replaces the script's
// scenarios with the shortcut.
func (o Options) Apply(over Options) Options {
	shortcut := over.Duration != nil || over.Iterations != nil || over.Stages != nil
	if shortcut && over.Scenarios == nil {
		o.Scenarios = nil
		o.Duration, o.Iterations, o.Stages = nil, nil, nil
	}
	setIf(&o.VUs, over.VUs)
	setIf(&o.Duration, over.Duration)
	setIf(&o.Iterations, over.Iterations)
	if over.Stages != nil {
		o.Stages = over.Stages
	}
	if over.Scenarios != nil {
		o.Scenarios = over.Scenarios
	}
	if over.Thresholds != nil {
		o.Thresholds = over.Thresholds
	}
	// Tags and hosts add up across layers; the later layer wins a key both set.
	o.Tags = mergeMaps(o.Tags, over.Tags)
	o.Hosts = mergeMaps(o.Hosts, over.Hosts)
	if over.SummaryTrendStats != nil {
		o.SummaryTrendStats = over.SummaryTrendStats
	}
	setIf(&o.InsecureSkipTLSVerify, over.InsecureSkipTLSVerify)
	setIf(&o.UserAgent, over.UserAgent)
	setIf(&o.DiscardResponseBodies, over.DiscardResponseBodies)
	setIf(&o.Throw, over.Throw)
	setIf(&o.Batch, over.Batch)
	setIf(&o.MaxRedirects, over.MaxRedirects)
	setIf(&o.SetupTimeout, over.SetupTimeout)
	setIf(&o.TeardownTimeout, over.TeardownTimeout)
	setIf(&o.NoColor, over.NoColor)
	return o
}

func mergeMaps(base, over map[string]string) map[string]string {
	if over == nil {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

func setIf[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

// scenarios returns the run's scenarios, deriving the "default" one from the shortcuts
// as k6 does when no scenarios are given: iterations → shared-iterations (duration, if
// set, bounds it as maxDuration); duration → constant-vus; stages → ramping-vus starting
// at vus; nothing → one iteration per VU (per-vu-iterations).
func (o Options) scenarios() (map[string]*Scenario, error) {
	if len(o.Scenarios) > 0 {
		for name, s := range o.Scenarios {
			s.Name = name
			if err := s.setDefaults(); err != nil {
				return nil, err
			}
		}
		return o.Scenarios, nil
	}
	vus := int64(1)
	if o.VUs != nil {
		vus = *o.VUs
	}
	s := &Scenario{Name: "default", VUs: &vus}
	switch {
	case o.Iterations != nil:
		s.Executor, s.Iterations = SharedIterations, o.Iterations
		if o.Duration != nil && *o.Duration > 0 {
			s.MaxDuration = o.Duration
		}
	case o.Duration != nil && *o.Duration > 0:
		s.Executor, s.Duration = ConstantVUs, *o.Duration
	case len(o.Stages) > 0:
		s.Executor, s.StartVUs, s.Stages = RampingVUs, &vus, o.Stages
	default:
		one := int64(1)
		s.Executor, s.Iterations = PerVUIterations, &one
	}
	if err := s.setDefaults(); err != nil {
		return nil, err
	}
	return map[string]*Scenario{"default": s}, nil
}

func (o Options) setupTimeout() time.Duration {
	if o.SetupTimeout != nil {
		return time.Duration(*o.SetupTimeout)
	}
	return time.Minute
}

func (o Options) teardownTimeout() time.Duration {
	if o.TeardownTimeout != nil {
		return time.Duration(*o.TeardownTimeout)
	}
	return time.Minute
}

// trendStats are the aggregates the summary shows for trends (k6's default set).
func (o Options) trendStats() []string {
	if len(o.SummaryTrendStats) > 0 {
		return o.SummaryTrendStats
	}
	return []string{"avg", "min", "med", "max", "p(90)", "p(95)"}
}

// ParseOptions reads options from JSON in the shape of a script's `options` (a k6
// --config file).
func ParseOptions(b []byte) (Options, error) {
	var o Options
	if err := json.Unmarshal(b, &o); err != nil {
		return Options{}, fmt.Errorf("options: %w", err)
	}
	return o, nil
}
