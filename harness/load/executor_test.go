package load

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hitServer counts requests per VU (the "vu" query parameter).
type hitServer struct {
	mu    sync.Mutex
	perVU map[string]int
	total atomic.Int64
	url   string
}

func newHitServer(t *testing.T) *hitServer {
	h := &hitServer{perVU: map[string]int{}}
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		h.total.Add(1)
		h.mu.Lock()
		h.perVU[r.URL.Query().Get("vu")]++
		h.mu.Unlock()
	})
	h.url = srv.URL
	return h
}

func scenarioScript(url, scenarios, body string) string {
	return fmt.Sprintf(`
import http from 'k6/http';
import { sleep } from 'k6';
export const options = { scenarios: %s };
export default function () {
  http.get('%s/?vu=' + __VU);
  %s
}
`, scenarios, url, body)
}

func TestSharedIterationsRunsExactlyTheIterationsAcrossVUs(t *testing.T) {
	h := newHitServer(t)
	res, err := runSource(t, scenarioScript(h.url, `{ s: { executor: 'shared-iterations', vus: 5, iterations: 37 } }`, ""), Config{})
	require.NoError(t, err)
	assert.Equal(t, int64(37), h.total.Load())
	assert.Equal(t, 37.0, count(t, res, "iterations"))
	assert.Equal(t, int64(37), res.Completed)
	assert.LessOrEqual(t, len(h.perVU), 5)
}

func TestPerVUIterationsRunsEachVUsIterations(t *testing.T) {
	h := newHitServer(t)
	res, err := runSource(t, scenarioScript(h.url, `{ s: { executor: 'per-vu-iterations', vus: 4, iterations: 6 } }`, ""), Config{})
	require.NoError(t, err)
	assert.Equal(t, 24.0, count(t, res, "iterations"))
	require.Len(t, h.perVU, 4)
	for vu, n := range h.perVU {
		assert.Equal(t, 6, n, "VU %s", vu)
	}
}

func TestDefaultIsOneIterationOfOneVU(t *testing.T) {
	h := newHitServer(t)
	res, err := runSource(t, fmt.Sprintf(`import http from 'k6/http';
export default function () { http.get('%s/?vu=' + __VU); }`, h.url), Config{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), h.total.Load())
	assert.Equal(t, 1.0, count(t, res, "iterations"))
}

func TestIterationsShortcutFromFlagsOverridesScriptScenarios(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'constant-vus', vus: 2, duration: '1h' } }`, "")
	res, err := runSource(t, src, Config{Over: Options{VUs: ptr(int64(3)), Iterations: ptr(int64(10))}})
	require.NoError(t, err)
	assert.Equal(t, int64(10), h.total.Load())
	assert.Equal(t, 10.0, count(t, res, "iterations"))
	assert.LessOrEqual(t, len(h.perVU), 3)
}

func TestConstantVUsKeepsItsVUsBusyForTheDuration(t *testing.T) {
	h := newHitServer(t)
	rec := &recorder{}
	var mu sync.Mutex
	var progress []Progress
	report := func(p Progress) { mu.Lock(); progress = append(progress, p); mu.Unlock() }
	res, err := runSource(t, scenarioScript(h.url, `{ s: { executor: 'constant-vus', vus: 3, duration: '1500ms' } }`, "sleep(0.05);"),
		Config{Outputs: []Output{rec}, Progress: report})
	require.NoError(t, err)
	require.NotEmpty(t, progress, "a run over a second reports its progress")
	assert.Equal(t, int64(3), progress[0].MaxVUs)
	assert.Equal(t, int64(3), progress[0].ActiveVUs)
	assert.Positive(t, progress[0].Completed)
	assert.Len(t, h.perVU, 3, "every VU ran")
	assert.Greater(t, h.total.Load(), int64(30), "3 VUs looping at most 50 ms apart for 1.5 s")
	vus := rec.of("vus")
	require.NotEmpty(t, vus)
	assert.Equal(t, 3.0, vus[0].Value)
	assert.Equal(t, float64(res.Completed), count(t, res, "iterations"))
}

func TestRampingVUsFollowsItsStages(t *testing.T) {
	assert.Equal(t, int64(0), rampingTarget(0, []Stage{{Duration: Duration(1e9), Target: 10}}, 0))
	assert.Equal(t, int64(4), rampingTarget(0, []Stage{{Duration: Duration(1e9), Target: 10}}, 450e6))
	assert.Equal(t, int64(10), rampingTarget(0, []Stage{{Duration: Duration(1e9), Target: 10}}, 2e9))
	// Falling from 10 to 0 over 1 s: still 10 until the first tenth has passed.
	down := []Stage{{Duration: Duration(1e9), Target: 10}, {Duration: Duration(1e9), Target: 0}}
	assert.Equal(t, int64(10), rampingTarget(0, down, 1e9+50e6))
	assert.Equal(t, int64(9), rampingTarget(0, down, 1e9+150e6))
	assert.Equal(t, int64(0), rampingTarget(0, down, 3e9))

	h := newHitServer(t)
	rec := &recorder{}
	src := scenarioScript(h.url, `{ s: { executor: 'ramping-vus', startVUs: 0, stages: [
		{ duration: '600ms', target: 4 }, { duration: '600ms', target: 4 }, { duration: '300ms', target: 0 } ] } }`, "sleep(0.02);")
	res, err := runSource(t, src, Config{Outputs: []Output{rec}})
	require.NoError(t, err)
	assert.Len(t, h.perVU, 4, "all four VUs ran at the plateau")
	assert.Equal(t, 4.0, maxValue(rec.of("vus_max")))
	assert.Greater(t, count(t, res, "iterations"), 20.0)
}

func maxValue(ss []Sample) float64 {
	m := 0.0
	for _, s := range ss {
		m = max(m, s.Value)
	}
	return m
}

func TestArrivalScheduleMatchesTheRate(t *testing.T) {
	count := func(s *Scenario) int {
		require.NoError(t, s.setDefaults())
		next := arrivalSchedule(s)
		n := 0
		for {
			at, ok := next()
			if !ok || at >= s.length() {
				return n
			}
			n++
		}
	}
	assert.Equal(t, 400, count(&Scenario{Executor: ConstantArrivalRate, Rate: 200, Duration: Duration(2e9), PreAllocatedVUs: ptr(int64(1))}))
	assert.Equal(t, 30, count(&Scenario{Executor: ConstantArrivalRate, Rate: 30, TimeUnit: Duration(60e9), Duration: Duration(60e9), PreAllocatedVUs: ptr(int64(1))}))
	// 0 → 100/s over 2 s, then 100/s for 1 s: 100 + 100 iterations.
	ramp := &Scenario{Executor: RampingArrivalRate, StartRate: 0, PreAllocatedVUs: ptr(int64(1)),
		Stages: []Stage{{Duration: Duration(2e9), Target: 100}, {Duration: Duration(1e9), Target: 100}}}
	assert.InDelta(t, 200, count(ramp), 1)
	// Down from 100/s to 0 over 2 s: 100 iterations.
	down := &Scenario{Executor: RampingArrivalRate, StartRate: 100, PreAllocatedVUs: ptr(int64(1)),
		Stages: []Stage{{Duration: Duration(2e9), Target: 0}}}
	assert.InDelta(t, 100, count(down), 1)
}

func TestConstantArrivalRateStartsIterationsAtTheRate(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '2s', preAllocatedVUs: 20 } }`, "")
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	iters := count(t, res, "iterations")
	assert.InEpsilon(t, 200, iters+droppedCount(res), 0.02, "iterations started or dropped")
	assert.InEpsilon(t, 200, iters, 0.02, "20 VUs suffice for 100 fast iterations a second")
}

func TestRampingArrivalRateFollowsItsStages(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'ramping-arrival-rate', startRate: 50, timeUnit: '1s', preAllocatedVUs: 20,
		stages: [ { duration: '1s', target: 150 }, { duration: '1s', target: 150 } ] } }`, "")
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	// ∫ rate = (50+150)/2·1 + 150·1 = 250.
	assert.InEpsilon(t, 250, count(t, res, "iterations"), 0.02)
}

func droppedCount(res *Result) float64 {
	v, _ := res.Registry.Get("dropped_iterations").Value("count", res.Duration)
	return v
}

func TestArrivalRateDropsIterationsWhenNoVUIsFree(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'constant-arrival-rate', rate: 20, duration: '1s', preAllocatedVUs: 1, maxVUs: 1 } }`, "sleep(0.3);")
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	iters := count(t, res, "iterations")
	dropped := droppedCount(res)
	assert.Equal(t, 20.0, iters+dropped, "every scheduled iteration either ran or was dropped")
	assert.Greater(t, dropped, 10.0, "one VU busy 300 ms at a time cannot start 20 a second")
}

func TestGracefulStopInterruptsIterationsStillRunning(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'constant-vus', vus: 2, duration: '300ms', gracefulStop: '0s' } }`, "sleep(5);")
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.InterruptedIterations)
	assert.Equal(t, int64(0), res.Completed)
	assert.False(t, res.Registry.Get("iterations").Observed(), "interrupted iterations are not counted")
}

func TestGracefulStopLetsIterationsFinish(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'constant-vus', vus: 2, duration: '200ms', gracefulStop: '10s' } }`, "sleep(0.5);")
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.Equal(t, int64(0), res.InterruptedIterations)
	assert.Equal(t, int64(2), res.Completed)
}

func TestScenariosRunTheirOwnExecEnvTagsAndStartTime(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		mu.Unlock()
	})
	src := fmt.Sprintf(`
import http from 'k6/http';
export const options = {
  scenarios: {
    readers: { executor: 'shared-iterations', vus: 2, iterations: 6, exec: 'read', env: { KIND: 'r' }, tags: { team: 'a' } },
    writers: { executor: 'per-vu-iterations', vus: 1, iterations: 3, exec: 'write', startTime: '200ms', env: { KIND: 'w' } },
  },
  thresholds: { 'http_reqs{scenario:readers}': ['count==6'], 'http_reqs{scenario:writers}': ['count==3'], 'http_reqs{team:a}': ['count==6'] },
};
export function read() { http.get('%[1]s/read/' + __ENV.KIND); }
export function write() { http.post('%[1]s/write/' + __ENV.KIND, 'x'); }
`, srv.URL)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"/read/r": 6, "/write/w": 3}, seen)
	assert.False(t, res.Crossed, "sub-metric thresholds by scenario and by scenario tag hold")
}

func TestInvalidScenariosAreConfigErrors(t *testing.T) {
	for _, sc := range []string{
		`{ s: { executor: 'shared-iterations', vus: 5, iterations: 2 } }`,
		`{ s: { executor: 'constant-vus', vus: 1 } }`,
		`{ s: { executor: 'constant-arrival-rate', rate: 1, duration: '1s' } }`,
		`{ s: { executor: 'ramping-vus' } }`,
		`{ s: { executor: 'no-such' } }`,
		`{ s: { vus: 1 } }`,
		`{ s: { executor: 'per-vu-iterations', exec: 'missing' } }`,
	} {
		_, err := runSource(t, scenarioScript("http://127.0.0.1:1", sc, ""), Config{})
		var ce *ConfigError
		assert.ErrorAs(t, err, &ce, sc)
	}
}

func TestStagesShortcutRampsVUs(t *testing.T) {
	h := newHitServer(t)
	src := fmt.Sprintf(`
import http from 'k6/http';
import { sleep } from 'k6';
export const options = { stages: [ { duration: '500ms', target: 3 }, { duration: '500ms', target: 3 } ] };
export default function () { http.get('%s/?vu=' + __VU); sleep(0.02); }
`, h.url)
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.Len(t, h.perVU, 3)
	vusMax, _ := res.Registry.Get("vus_max").Value("max", res.Duration)
	assert.Equal(t, 3.0, vusMax)
}

func TestRampingVUsInterruptsRampedDownVUsAfterGracefulRampDown(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'ramping-vus', startVUs: 0, gracefulRampDown: '0s', gracefulStop: '10s',
		stages: [ { duration: '100ms', target: 2 }, { duration: '300ms', target: 0 } ] } }`, "sleep(1.5);")
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	// The second VU is ramped down mid-stage and interrupted at once; the first leaves only
	// when the stages end, so gracefulStop lets its iteration finish.
	assert.Equal(t, int64(1), res.InterruptedIterations)
	assert.Equal(t, int64(1), res.Completed)
}

func TestArrivalRateGrowsToMaxVUs(t *testing.T) {
	h := newHitServer(t)
	src := scenarioScript(h.url, `{ s: { executor: 'constant-arrival-rate', rate: 20, duration: '1s', preAllocatedVUs: 1, maxVUs: 4 } }`, "sleep(0.15);")
	res, err := runSource(t, src, Config{})
	require.NoError(t, err)
	assert.Equal(t, 20.0, count(t, res, "iterations")+droppedCount(res), "every scheduled iteration ran or was dropped")
	vusMax, _ := res.Registry.Get("vus_max").Value("max", res.Duration)
	assert.Greater(t, vusMax, 1.0, "VUs were added when none was free")
	assert.LessOrEqual(t, vusMax, 4.0, "but no more than maxVUs")
	assert.LessOrEqual(t, len(h.perVU), 4)
}
