package containers

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLeftoverIsOnlyWhatAGoneHarnessProcessOfThisHostMade(t *testing.T) {
	self := Process{Host: "box/pid:[1]", PID: 100, Started: "5000", Session: "mine"}
	// Processes 200 (started at 7000) and 300 run; every other PID is free.
	probe := func(pid int) (bool, string) {
		switch pid {
		case 200:
			return true, "7000"
		case 300:
			return true, ""
		case 100:
			return true, "5000"
		}
		return false, ""
	}
	other := func(pid int, started, session string) map[string]string {
		return Process{Host: self.Host, PID: pid, Started: started, Session: session}.Labels("mimo")
	}
	with := func(l map[string]string, k, v string) map[string]string {
		l[k] = v
		return l
	}
	without := func(l map[string]string, k string) map[string]string {
		delete(l, k)
		return l
	}
	for name, tc := range map[string]struct {
		labels map[string]string
		want   bool
	}{
		"its process is gone":                                {other(999, "4000", "old"), true},
		"its PID runs a process started later (PID reused)":  {other(200, "6000", "old"), true},
		"its process runs (a concurrent test binary)":        {other(200, "7000", "theirs"), false},
		"its process runs, start time unknown now":           {other(300, "6000", "theirs"), false},
		"its process runs, start time not recorded":          {other(200, "", "theirs"), false},
		"this process made it":                               {self.Labels("postgres"), false},
		"this session, whatever its PID says":                {other(999, "4000", "mine"), false},
		"this process's PID, an earlier process's session":   {other(100, "4500", "old"), true},
		"another host or PID namespace made it":              {with(other(999, "4000", "old"), LabelHost, "elsewhere"), false},
		"no host recorded":                                   {without(other(999, "4000", "old"), LabelHost), false},
		"no PID recorded (an older harness)":                 {without(other(999, "4000", "old"), LabelPID), false},
		"a PID that is no number":                            {with(other(999, "4000", "old"), LabelPID, "x"), false},
		"PID 0":                                              {with(other(999, "4000", "old"), LabelPID, "0"), false},
		"not the harness's (owner labels but no Label)":      {without(other(999, "4000", "old"), Label), false},
		"no labels at all":                                   {nil, false},
		"a network (Label true) of a gone process":           {with(other(999, "4000", "old"), Label, "true"), true},
		"a network of a running process":                     {with(other(200, "7000", "theirs"), Label, "true"), false},
		"its process is gone, its start time not recorded":   {other(999, "", "old"), true},
		"another host's, though its PID is free on this one": {with(other(999, "", "old"), LabelHost, "box/pid:[2]"), false},
		"another sweep scope's, though its process is gone":  {with(other(999, "4000", "old"), LabelScope, "elsewhere"), false},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, Leftover(tc.labels, self, probe))
		})
	}
}

func TestLabelsNameTheProcess(t *testing.T) {
	p := Process{Host: "box", PID: 42, Started: "17", Session: "abc", Scope: "drill"}
	assert.Equal(t, map[string]string{
		Label: "mimo", LabelHost: "box", LabelPID: "42", LabelStarted: "17", LabelSession: "abc", LabelScope: "drill",
	}, p.Labels("mimo"))
}

func TestSelfIsThisProcessWithItsOwnSession(t *testing.T) {
	self := Self()
	assert.Equal(t, os.Getpid(), self.PID)
	assert.NotEmpty(t, self.Host)
	assert.Len(t, self.Session, 16)
	assert.Equal(t, self, Self(), "read once")
	t.Setenv(EnvScope, "drill")
	scoped := Self()
	assert.Equal(t, "drill", scoped.Scope, "the scope is read at each call")
	assert.Equal(t, self.Session, scoped.Session, "in the same session")
	if runtime.GOOS == "linux" {
		assert.NotEmpty(t, self.Started, "Linux tells a process's start time")
	}
}
