package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptionLayers(t *testing.T) {
	five := Duration(5 * time.Minute)
	script := Options{VUs: ptr(int64(100)), Duration: &five, Tags: map[string]string{"a": "script", "b": "script"},
		Scenarios: map[string]*Scenario{"s": {Executor: ConstantVUs, Duration: five}}}
	base := Options{Hosts: map[string]string{"x": "1.2.3.4"}, Tags: map[string]string{"b": "file"}, UserAgent: ptr("file")}
	two := Duration(2 * time.Second)
	flags := Options{Duration: &two}

	o := base.Apply(script).Apply(flags)
	assert.Equal(t, map[string]string{"a": "script", "b": "script"}, o.Tags, "the script's tags over the config file's")
	assert.Equal(t, map[string]string{"x": "1.2.3.4"}, o.Hosts)
	assert.Equal(t, "file", *o.UserAgent)
	assert.Nil(t, o.Scenarios, "a duration flag replaces the script's scenarios, as in k6")
	scs, err := o.scenarios()
	require.NoError(t, err)
	require.Contains(t, scs, "default")
	assert.Equal(t, ConstantVUs, scs["default"].Executor)
	assert.Equal(t, int64(100), *scs["default"].VUs, "the script's vus stays")
	assert.Equal(t, two, scs["default"].Duration)

	o = script.Apply(Options{VUs: ptr(int64(3))})
	assert.Len(t, o.Scenarios, 1, "--vus alone keeps the script's scenarios")
}

func TestShortcutsBecomeScenarios(t *testing.T) {
	d := Duration(time.Minute)
	cases := []struct {
		o    Options
		exec string
	}{
		{Options{}, PerVUIterations},
		{Options{Iterations: ptr(int64(10))}, SharedIterations},
		{Options{Iterations: ptr(int64(10)), Duration: &d}, SharedIterations},
		{Options{Duration: &d}, ConstantVUs},
		{Options{Stages: []Stage{{Duration: d, Target: 5}}}, RampingVUs},
	}
	for _, c := range cases {
		scs, err := c.o.scenarios()
		require.NoError(t, err)
		assert.Equal(t, c.exec, scs["default"].Executor, "%+v", c.o)
	}
	scs, _ := Options{Iterations: ptr(int64(10)), Duration: &d}.scenarios()
	assert.Equal(t, d, *scs["default"].MaxDuration, "duration bounds iterations as maxDuration")
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"30s": 30 * time.Second, "1m30s": 90 * time.Second, "500ms": 500 * time.Millisecond,
		"1.5": 1500 * time.Millisecond, "1d2h": 26 * time.Hour, "2d": 48 * time.Hour,
	} {
		got, err := ParseDuration(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, bad := range []string{"", "soon", "5 minutes", "xd1h"} {
		_, err := ParseDuration(bad)
		assert.Error(t, err, bad)
	}
	o, err := ParseOptions([]byte(`{"duration": 1500, "setupTimeout": "2m", "thresholds": {"checks": ["rate>0.9", {"threshold": "rate>0.5", "abortOnFail": true, "delayAbortEval": "10s"}]}}`))
	require.NoError(t, err)
	assert.Equal(t, Duration(1500*time.Millisecond), *o.Duration)
	assert.Equal(t, 2*time.Minute, o.setupTimeout())
	require.Len(t, o.Thresholds["checks"], 2)
	assert.True(t, o.Thresholds["checks"][1].AbortOnFail)
	assert.Equal(t, Duration(10*time.Second), o.Thresholds["checks"][1].DelayAbortEval)
}
