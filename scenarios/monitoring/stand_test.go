package monitoring

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/alertmanager"
	"mimo/harness/record"
)

// The shipped rules made quick: an alert fires once its condition has held
// for pending, and a rate or quantile looks back over window. Prometheus
// scrapes and evaluates every second.
const (
	pending = 4 * time.Second
	window  = 10 * time.Second
	// fireWithin and resolveWithin bound the waits for a notification; each
	// wait ends as soon as the notification is there.
	fireWithin    = 60 * time.Second
	resolveWithin = 60 * time.Second
	// every is how often the traffic a condition needs is sent.
	every = 100 * time.Millisecond
)

// stand is one environment whose Prometheus evaluates the shipped alerts,
// shortened, and whose Alertmanager delivers to the harness's webhook.
type stand struct {
	t   *testing.T
	rec *record.Recorder
	env *harness.Env
	tl  *harness.Timeline
}

func newStand(t *testing.T, rec *record.Recorder, mimo ...testcontainers.ContainerCustomizer) *stand {
	t.Helper()
	shipped, err := os.ReadFile(alertsFile)
	require.NoError(t, err)
	rules, err := ShortRules(shipped, pending, window)
	require.NoError(t, err)
	rec.Evidence("note", "the rules Prometheus evaluates, alerts.yml with its waits and windows shortened:\n"+rules)
	env := harness.Start(t, harness.Options{Record: rec, Alertmanager: true, Rules: rules, Mimo: mimo})
	s := &stand{t: t, rec: rec, env: env, tl: harness.NewTimeline(t, rec)}
	env.WaitForQuery(t, upQuery, upIs(1), seenWithin)
	return s
}

// alertKey names one alert by its labels, as Alertmanager tells alerts
// apart.
func alertKey(labels map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}

// delivered is what the webhook got: per alert (its labels), its last
// status, firing or resolved, and its summary.
type delivered struct {
	status  map[string]string
	labels  map[string]map[string]string
	summary map[string]string
}

func (s *stand) delivered() (delivered, error) {
	ns, err := s.env.Notifications(context.Background())
	d := delivered{status: map[string]string{}, labels: map[string]map[string]string{}, summary: map[string]string{}}
	if err != nil {
		return d, err
	}
	for _, n := range ns {
		require.Equal(s.t, alertmanager.Receiver, n.Receiver)
		for _, a := range n.Alerts {
			k := alertKey(a.Labels)
			d.status[k], d.labels[k] = a.Status, a.Labels
			if a.Status == "firing" {
				d.summary[k] = a.Annotations["summary"]
			}
		}
	}
	return d, nil
}

// names lists the alert names delivered, each once.
func (d delivered) names() []string {
	var out []string
	for _, l := range d.labels {
		out = append(out, l["alertname"])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// of lists the keys of the alerts named name whose labels include match.
func (d delivered) of(name string, match map[string]string) []string {
	var out []string
	for k, l := range d.labels {
		if l["alertname"] != name {
			continue
		}
		ok := true
		for lk, lv := range match {
			ok = ok && l[lk] == lv
		}
		if ok {
			out = append(out, k)
		}
	}
	return out
}

func (d delivered) String() string {
	var lines []string
	for k, st := range d.status {
		lines = append(lines, st+" "+k)
	}
	slices.Sort(lines)
	return fmt.Sprintf("%d alert(s) delivered: %s", len(lines), strings.Join(lines, "; "))
}

// want is an alert a phase expects: its name and labels it must carry.
type want struct {
	name   string
	labels map[string]string
}

// phase puts a condition on, waits until every alert of wants has reached
// the webhook firing, takes the condition off, and waits until each has
// reached it resolved. It records, per alert, the seconds from the moment
// on is called to its firing notification (<alert>_time_to_fire) and from
// the moment off is called to its resolved one (<alert>_time_to_resolve).
func (s *stand) phase(condition string, on, off func(), wants ...want) {
	s.t.Helper()
	began := time.Now()
	s.tl.Do(condition, on)
	fired := s.await(fmt.Sprintf("%s firing at the webhook", names(wants)), fireWithin, wants, func(d delivered, keys []string) bool {
		for _, k := range keys {
			if d.status[k] == "firing" {
				return true
			}
		}
		return false
	}, began)
	var firing []string
	d, err := s.delivered()
	require.NoError(s.t, err)
	for _, w := range wants {
		for _, k := range d.of(w.name, w.labels) {
			if d.status[k] == "firing" {
				firing = append(firing, k)
				assert.NotEmpty(s.t, d.summary[k], "%s has its summary", k)
			}
		}
	}
	ended := time.Now()
	s.tl.Do("the condition ends: "+condition, off)
	resolved := s.await(fmt.Sprintf("%s resolved at the webhook", names(wants)), resolveWithin, wants, func(d delivered, keys []string) bool {
		for _, k := range keys {
			if d.status[k] != "resolved" {
				return false
			}
		}
		return len(keys) > 0
	}, ended)
	for _, w := range wants {
		assert.GreaterOrEqual(s.t, fired[w.name], pending, "%s fires only once its condition has held for its for: (%s)", w.name, pending)
		s.rec.Measure(w.name+"_time_to_fire", fired[w.name].Seconds(), "s")
		s.rec.Measure(w.name+"_time_to_resolve", resolved[w.name].Seconds(), "s")
		s.t.Logf("%s: fired %.1fs after %q, resolved %.1fs after it ended", w.name, fired[w.name].Seconds(), condition, resolved[w.name].Seconds())
	}
	for _, k := range firing {
		s.rec.Evidence("note", fmt.Sprintf("delivered firing, then resolved: %s %q", k, d.summary[k]))
	}
}

// await waits on the timeline until holds is true of every alert of
// wants (given the keys of the alerts delivered under its name), and
// returns for each how long after since it first was.
func (s *stand) await(what string, within time.Duration, wants []want, holds func(delivered, []string) bool, since time.Time) map[string]time.Duration {
	s.t.Helper()
	at := map[string]time.Duration{}
	s.tl.Expect(what, within, func() (bool, string) {
		d, err := s.delivered()
		if err != nil {
			return false, err.Error()
		}
		for _, w := range wants {
			if _, seen := at[w.name]; !seen && holds(d, d.of(w.name, w.labels)) {
				at[w.name] = time.Since(since)
			}
		}
		return len(at) == len(wants), d.String()
	})
	return at
}

func names(wants []want) string {
	var out []string
	for _, w := range wants {
		out = append(out, w.name)
	}
	return strings.Join(out, " and ")
}

// onlyDelivered asserts that no alert other than names reached the
// webhook: each alert fires on its own condition, not on another's.
func (s *stand) onlyDelivered(names ...string) {
	s.t.Helper()
	d, err := s.delivered()
	require.NoError(s.t, err)
	slices.Sort(names)
	assert.Equal(s.t, names, d.names(), "the alerts delivered: %s", d)
}

// traffic calls send every interval on its own goroutine until the
// returned stop is called (or the test ends). The requests are the load a
// condition needs to show in the metrics; their answers are the
// condition's business, so send's errors are only counted.
func traffic(t *testing.T, interval time.Duration, send func(ctx context.Context, i int) error) (stop func() (sent, failed int)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var sent, failed int
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			sent++
			if send(ctx, i) != nil && ctx.Err() == nil {
				failed++
			}
		}
	})
	var once sync.Once
	stop = func() (int, int) {
		once.Do(func() { cancel(); wg.Wait() })
		return sent, failed
	}
	t.Cleanup(func() { stop() })
	return stop
}
