package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mimo/harness/record"
	mimo "mimo/system"
)

// Timeline is a scenario laid out in time, in the spirit of Alertmanager's
// acceptance tests: at t=… the scenario does something (Do), and expects
// something by t=… (Expect, ExpectBy), while watchers sample what Mimo
// shows (Watch, WatchCircuit) and calls are timed (Time). t=0 is when the
// timeline was made. Everything is written into the scenario's record for
// the report's charts (the series actions, expectations, errors, the
// watched ones and the timed ones; see record's README) and, as one
// "timeline" evidence, the whole sequence in words, which is also logged
// when the test fails. Its methods are safe for concurrent use, except
// that Expect and ExpectBy, like WaitFor, must run on the test's
// goroutine.
type Timeline struct {
	t     testing.TB
	rec   *record.Recorder
	start time.Time

	stop     chan struct{}
	watching sync.WaitGroup
	finished sync.Once

	mu      sync.Mutex
	lines   []timedLine
	actions int
	pending string // the expectation being waited for, if any
}

// NewTimeline starts a timeline at t=0 now, writing into rec (nil records
// nothing but still logs on failure). In t.Cleanup it stops the watchers,
// marks an expectation still being waited for as missed, and adds the
// sequence to the record.
func NewTimeline(t testing.TB, rec *record.Recorder) *Timeline {
	tl := &Timeline{t: t, rec: rec, start: time.Now(), stop: make(chan struct{})}
	t.Cleanup(tl.finish)
	return tl
}

// Since is the time on the timeline: how long since it started.
func (tl *Timeline) Since() time.Duration { return time.Since(tl.start) }

// Do records the action what at the current time, then runs f.
func (tl *Timeline) Do(what string, f func()) {
	tl.mu.Lock()
	tl.actions++
	n := tl.actions
	tl.mu.Unlock()
	tl.event("do", what)
	tl.point("actions", float64(n), what)
	f()
}

// Concurrently records the action what, then runs f(0) … f(n-1) each on
// its own goroutine and waits for all of them. f must not call t.FailNow
// (require): assert, or collect what it sees.
func (tl *Timeline) Concurrently(what string, n int, f func(i int)) {
	tl.Do(what, func() {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { f(i) })
		}
		wg.Wait()
	})
}

// Expect waits until cond holds, at most within from now, and records when
// it did; otherwise it fails the test (as WaitFor, with cond's last
// detail) and the expectation is recorded as missed.
func (tl *Timeline) Expect(what string, within time.Duration, cond func() (bool, string)) {
	tl.t.Helper()
	tl.ExpectBy(what, tl.Since()+within, cond)
}

// ExpectBy waits until cond holds, at most until t=by on the timeline, and
// records when it did; otherwise it fails the test and the expectation is
// recorded as missed. A by already past still checks cond once.
func (tl *Timeline) ExpectBy(what string, by time.Duration, cond func() (bool, string)) {
	tl.t.Helper()
	label := fmt.Sprintf("%s (by t=%s)", what, seconds(by))
	tl.mu.Lock()
	tl.pending = label
	tl.mu.Unlock()
	if !waitFor(tl.t, max(by-tl.Since(), 0), label, cond) {
		return // recorded as missed when the test ends
	}
	tl.mu.Lock()
	tl.pending = ""
	tl.mu.Unlock()
	tl.event("met", label)
	tl.point("expectations", 1, label)
}

// Sampler reads one value of something watched, with its name (a state,
// an error code), or fails.
type Sampler func(ctx context.Context) (v float64, label string, err error)

// Watch samples every interval, until the test ends, and records a point
// in series each time the value or its label changes (the first sample
// included). A failing sample is not recorded; the next one is taken as
// usual.
func (tl *Timeline) Watch(series string, every time.Duration, sample Sampler) {
	tl.watching.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		seen := false
		var lastV float64
		var lastL string
		for {
			ctx, cancel := context.WithTimeout(context.Background(), max(every, time.Second))
			// Stamped when the sample was asked for: what it says was
			// true then, not when the answer came back.
			at := time.Now()
			v, label, err := sample(ctx)
			cancel()
			if err == nil && (!seen || v != lastV || label != lastL) {
				seen, lastV, lastL = true, v, label
				tl.eventAt(at, "saw", fmt.Sprintf("%s %s (%g)", series, label, v))
				tl.pointAt(at, series, v, label)
			}
			select {
			case <-tl.stop:
				return
			case <-tick.C:
			}
		}
	})
}

// WatchCircuit watches the state of m's breaker of service by its gauge
// mimo_circuit_breaker_state, every 100 ms, into the series
// breaker_<service>, as the record's convention for breaker timelines
// has it.
func (tl *Timeline) WatchCircuit(m *MimoServer, service string) {
	tl.Watch("breaker_"+service, 100*time.Millisecond, func(ctx context.Context) (float64, string, error) {
		ms, err := m.Client().Metrics(ctx)
		if err != nil {
			return 0, "", err
		}
		s, ok := ms.Circuit(service)
		if !ok {
			return 0, "", fmt.Errorf("no %s circuit", service)
		}
		return float64(s), s.String(), nil
	})
}

// WatchSpool watches m's write spool by its gauge mimo_spool_pending,
// every 250 ms, into the series spool_pending: the writes queued while
// the database is away, and how the replay takes them down.
func (tl *Timeline) WatchSpool(m *MimoServer) {
	tl.Watch("spool_pending", 250*time.Millisecond, func(ctx context.Context) (float64, string, error) {
		ms, err := m.Client().Metrics(ctx)
		if err != nil {
			return 0, "", err
		}
		v, ok := ms.Value("mimo_spool_pending", nil)
		if !ok {
			return 0, "", fmt.Errorf("no mimo_spool_pending")
		}
		return v, "", nil
	})
}

// Time runs f and records how long it took as a point of series (in ms,
// labelled "ok" or with the error's code); an error is also a point of
// the series errors (1, labelled with its code). It returns f's error.
func (tl *Timeline) Time(series string, f func() error) error {
	began := time.Now()
	err := f()
	took := time.Since(began)
	label := "ok"
	if err != nil {
		label = mimo.ErrorCode(err)
		tl.point("errors", 1, label)
	}
	tl.point(series, float64(took.Microseconds())/1000, label)
	return err
}

// String is the sequence so far, one event a line.
func (tl *Timeline) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	texts := make([]string, len(tl.lines))
	for i, l := range tl.lines {
		texts[i] = l.text
	}
	return strings.Join(texts, "\n")
}

func (tl *Timeline) event(kind, text string) { tl.eventAt(time.Now(), kind, text) }

// eventAt adds a line in time order: a sample stamped before an event
// that was added while it was in flight goes before it.
func (tl *Timeline) eventAt(at time.Time, kind, text string) {
	e := timedLine{at, fmt.Sprintf("t=%-8s %-4s %s", seconds(at.Sub(tl.start)), kind, text)}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	i := len(tl.lines)
	for i > 0 && tl.lines[i-1].at.After(at) {
		i--
	}
	tl.lines = slices.Insert(tl.lines, i, e)
}

type timedLine struct {
	at   time.Time
	text string
}

func (tl *Timeline) point(series string, v float64, label string) {
	tl.pointAt(time.Now(), series, v, label)
}

func (tl *Timeline) pointAt(at time.Time, series string, v float64, label string) {
	if tl.rec != nil {
		tl.rec.AddPoint(series, record.Point{T: at.UTC(), V: v, Label: label})
	}
}

func (tl *Timeline) finish() { tl.finished.Do(tl.end) }

func (tl *Timeline) end() {
	close(tl.stop)
	tl.watching.Wait()
	tl.mu.Lock()
	missed := tl.pending
	tl.mu.Unlock()
	if missed != "" {
		tl.event("miss", missed)
		tl.point("expectations", 0, missed)
	}
	if tl.rec != nil {
		tl.rec.Evidence("timeline", tl.String())
	}
	if tl.t.Failed() {
		tl.t.Logf("harness: the timeline of %s:\n%s", tl.t.Name(), tl)
	}
}

// seconds writes d as seconds with millisecond precision, such as "3.250s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }
