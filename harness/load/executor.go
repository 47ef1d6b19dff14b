package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// execVU is a VU as the executors drive it: a script's (*VU) or a Go function's (*funcVU).
// One goroutine at a time uses it.
type execVU interface {
	// activate prepares the VU to run iterations of the scenario.
	activate(s *Scenario) error
	// iterate runs one iteration within ctx and says whether it completed (rather than
	// being interrupted), having recorded iterations and iteration_duration if so.
	iterate(ctx context.Context) bool
}

// runScenario waits for the scenario's startTime, then runs its executor with the VUs it
// needs taken from the run's pool, and returns when every iteration it started has ended.
//
// Two deadlines govern a scenario, as in k6: until its length (duration, the sum of its
// stages, or maxDuration) it starts iterations; iterations still running then have
// gracefulStop more to finish before they are interrupted. Cancelling ctx interrupts at once.
func (r *testRun) runScenario(ctx context.Context, s *Scenario) {
	if s.StartTime > 0 {
		t := time.NewTimer(time.Duration(s.StartTime))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	vus := make([]execVU, s.preAllocated())
	for i := range vus {
		vus[i] = <-r.freeVUs
	}
	defer func() {
		for _, vu := range vus {
			r.freeVUs <- vu
		}
	}()
	for _, vu := range vus {
		if err := vu.activate(s); err != nil {
			r.logf("level=error msg=%q", err.Error())
			return
		}
	}
	start := time.Now()
	if st := r.scenarios[s.Name]; st != nil {
		st.start.Store(start.UnixMilli())
	}
	// soft derives from hard so that no iteration starts once hard has ended.
	hard, cancelHard := context.WithDeadline(ctx, start.Add(s.length()+time.Duration(*s.GracefulStop)))
	defer cancelHard()
	soft, cancelSoft := context.WithDeadline(hard, start.Add(s.length()))
	defer cancelSoft()
	switch s.Executor {
	case SharedIterations:
		var claimed atomic.Int64
		r.loopAll(soft, hard, vus, func() func() bool {
			return func() bool { return claimed.Add(1) <= *s.Iterations }
		})
	case PerVUIterations:
		r.loopAll(soft, hard, vus, func() func() bool {
			n := int64(0)
			return func() bool { n++; return n <= *s.Iterations }
		})
	case ConstantVUs:
		r.loopAll(soft, hard, vus, func() func() bool { return func() bool { return true } })
	case RampingVUs:
		r.rampingVUs(soft, hard, start, s, vus)
	case ConstantArrivalRate, RampingArrivalRate:
		// VUs grown beyond the pre-allocated ones serve this scenario only.
		r.arrivalRate(soft, hard, start, s, vus)
	}
}

// loopAll runs one looping VU per element of vus until its next() says no more or soft
// ends; each VU gets its own next from mk.
func (r *testRun) loopAll(soft, hard context.Context, vus []execVU, mk func() func() bool) {
	var wg sync.WaitGroup
	for _, vu := range vus {
		wg.Add(1)
		next := mk()
		go func() {
			defer wg.Done()
			r.loop(soft, hard, vu, next)
		}()
	}
	wg.Wait()
}

// loop runs iterations on vu while soft lasts and next allows; each iteration may run
// until hard ends.
func (r *testRun) loop(soft, hard context.Context, vu execVU, next func() bool) {
	r.vuStarted()
	defer r.activeVUs.Add(-1)
	for soft.Err() == nil && next() {
		vu.iterate(hard)
	}
}

// rampingVUs keeps as many VUs looping as the stages ask for at each moment: the count
// moves linearly from startVUs towards each stage's target, stepping up when the line
// crosses the next whole VU and down when it falls below the current one. A VU ramped
// down finishes its iteration within gracefulRampDown; at the end of the stages, within
// gracefulStop.
func (r *testRun) rampingVUs(soft, hard context.Context, start time.Time, s *Scenario, vus []execVU) {
	type slot struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	slots := make([]slot, len(vus))
	var wg sync.WaitGroup
	rampDown := time.Duration(*s.GracefulRampDown)
	apply := func(want int64) {
		for i := range slots {
			sl := &slots[i]
			running := sl.done != nil
			if running {
				select {
				case <-sl.done:
					running, sl.done = false, nil
				default:
				}
			}
			switch {
			case int64(i) < want && sl.cancel == nil && !running:
				ctx, cancel := context.WithCancel(soft)
				slotHard, cancelHard := context.WithCancel(hard)
				sl.cancel = func() {
					cancel()
					time.AfterFunc(rampDown, cancelHard)
				}
				sl.done = make(chan struct{})
				wg.Add(1)
				go func(vu execVU, done chan struct{}) {
					defer wg.Done()
					defer close(done)
					defer cancelHard()
					r.loop(ctx, slotHard, vu, func() bool { return true })
				}(vus[i], sl.done)
			case int64(i) >= want && sl.cancel != nil:
				sl.cancel()
				sl.cancel = nil
			}
		}
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		elapsed := time.Since(start)
		if elapsed >= s.length() {
			// The stages are over: VUs still running have gracefulStop, not gracefulRampDown.
			<-soft.Done()
			wg.Wait()
			return
		}
		apply(rampingTarget(*s.StartVUs, s.Stages, elapsed))
		select {
		case <-soft.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
	}
}

// rampingTarget is how many VUs ramping-vus wants after elapsed: the linear
// interpolation within the current stage, rounded down while rising and up while falling.
func rampingTarget(startVUs int64, stages []Stage, elapsed time.Duration) int64 {
	from := startVUs
	for _, st := range stages {
		d := time.Duration(st.Duration)
		if elapsed < d {
			f := float64(from) + float64(st.Target-from)*float64(elapsed)/float64(d)
			if st.Target >= from {
				return int64(f)
			}
			return int64(f + 0.999999999)
		}
		elapsed -= d
		from = st.Target
	}
	return from
}

// arrivalRate starts iterations on the schedule the rate (or stages) set, each on a free
// VU. When none is free, the iteration is dropped (counted in dropped_iterations) and,
// below maxVUs, one more VU is initialised for the ones to come.
func (r *testRun) arrivalRate(soft, hard context.Context, start time.Time, s *Scenario, vus []execVU) {
	free := make(chan execVU, *s.MaxVUs)
	for _, vu := range vus {
		free <- vu
	}
	var (
		wg      sync.WaitGroup
		growing atomic.Bool
	)
	made := int64(len(vus))
	next := arrivalSchedule(s)
	timer := time.NewTimer(0)
	<-timer.C
	droppedTags := Tags(r.opts.Tags).with("scenario", s.Name)
	for {
		at, ok := next()
		if !ok || at >= s.length() {
			break
		}
		if wait := time.Until(start.Add(at)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-soft.Done():
				timer.Stop()
			}
		}
		if soft.Err() != nil {
			break
		}
		select {
		case vu := <-free:
			wg.Add(1)
			r.vuStarted()
			go func() {
				defer wg.Done()
				vu.iterate(hard)
				r.activeVUs.Add(-1)
				free <- vu
			}()
		default:
			r.reg.Push(Sample{Metric: r.builtin.dropped, Time: time.Now(), Value: 1, Tags: droppedTags})
			if made < *s.MaxVUs && growing.CompareAndSwap(false, true) {
				made++
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer growing.Store(false)
					vu, err := r.newVU()
					if err == nil {
						err = vu.activate(s)
					}
					if err != nil {
						r.logf("level=error msg=%q", err.Error())
						return
					}
					free <- vu
				}()
			}
		}
	}
	wg.Wait()
}
