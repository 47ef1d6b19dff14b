package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScenarioDefaultsAndDescriptions(t *testing.T) {
	minute := Duration(time.Minute)
	cases := []struct {
		s    Scenario
		want string
		vus  int64
		long time.Duration
	}{
		{Scenario{Executor: SharedIterations, Iterations: ptr(int64(20)), VUs: ptr(int64(4))},
			"20 iterations shared among 4 VUs (maxDuration: 10m0s, gracefulStop: 30s)", 4, 10*time.Minute + 30*time.Second},
		{Scenario{Executor: PerVUIterations},
			"1 iterations for each of 1 VUs (maxDuration: 10m0s, gracefulStop: 30s)", 1, 10*time.Minute + 30*time.Second},
		{Scenario{Executor: ConstantVUs, VUs: ptr(int64(10)), Duration: minute, StartTime: Duration(5 * time.Second)},
			"10 looping VUs for 1m0s (startTime: 5s, gracefulStop: 30s)", 10, 95 * time.Second},
		{Scenario{Executor: RampingVUs, Stages: []Stage{{Duration: minute, Target: 7}, {Duration: minute, Target: 0}}},
			"Up to 7 looping VUs for 2m0s over 2 stages (gracefulRampDown: 30s, gracefulStop: 30s)", 7, 3 * time.Minute},
		{Scenario{Executor: ConstantArrivalRate, Rate: 30, TimeUnit: minute, Duration: minute, PreAllocatedVUs: ptr(int64(2)), GracefulStop: dur(0)},
			"0.5 iterations/s for 1m0s (maxVUs: 2, gracefulStop: 0s)", 2, time.Minute},
		{Scenario{Executor: RampingArrivalRate, Stages: []Stage{{Duration: minute, Target: 50}}, PreAllocatedVUs: ptr(int64(5)), MaxVUs: ptr(int64(9))},
			"Up to 50 iterations/s for 1m0s over 1 stages (maxVUs: 9, gracefulStop: 30s)", 9, 90 * time.Second},
	}
	for _, c := range cases {
		s := c.s
		require.NoError(t, s.setDefaults(), c.want)
		assert.Equal(t, c.want, s.Describe())
		assert.Equal(t, c.vus, s.PeakVUs(), c.want)
		assert.Equal(t, c.long, s.Longest(), c.want)
	}
}
