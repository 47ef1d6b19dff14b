package containers

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"sync"
)

// The labels the harness puts beside Label on every container and network
// it makes, naming the process that made them. A test binary killed with
// SIGKILL runs no cleanup, and the harness has no reaper: its leftovers
// are recognised by these labels and removed by Sweep in a later process,
// while the containers of a process still running are left alone.
const (
	// LabelHost is the machine and PID namespace the process ran in:
	// its PID means something only there.
	LabelHost = Label + ".host"
	// LabelPID is the process's id.
	LabelPID = Label + ".pid"
	// LabelStarted is when the process started, as the kernel counts it
	// (empty where unknown): a PID in use again by another process is not
	// taken for the one that made the container.
	LabelStarted = Label + ".started"
	// LabelSession is random per process: what this process made is never
	// a leftover to it, whatever the PID says.
	LabelSession = Label + ".session"
	// LabelScope is the process's sweep scope (EnvScope; empty by
	// default): a process sweeps only the leftovers of its own scope.
	LabelScope = Label + ".scope"
)

// EnvScope names the environment variable that sets a process's sweep
// scope. A test that kills harness processes on purpose and checks what
// the next one sweeps sets a scope of its own (for itself, before its
// harness.Start, and for its children), so that the harness processes
// running beside it (go test runs packages at once) do not sweep its
// leftovers first. It is read at each start, not once per process.
const EnvScope = "MIMO_HARNESS_SCOPE"

// Process identifies a process that makes containers.
type Process struct {
	Host    string
	PID     int
	Started string
	Session string
	Scope   string
}

// Self is this process, in the sweep scope its environment names now.
func Self() Process {
	p := self()
	p.Scope = os.Getenv(EnvScope)
	return p
}

// self is this process, read once.
var self = sync.OnceValue(func() Process {
	host, _ := os.Hostname()
	if ns := pidNamespace(); ns != "" {
		host += "/" + ns
	}
	session := make([]byte, 8)
	_, _ = rand.Read(session) // never fails (crypto/rand's contract)
	pid := os.Getpid()
	_, started := probe(pid)
	return Process{Host: host, PID: pid, Started: started, Session: hex.EncodeToString(session)}
})

// Labels are the labels of a container (or network) named name made by p.
func (p Process) Labels(name string) map[string]string {
	return map[string]string{
		Label:        name,
		LabelHost:    p.Host,
		LabelPID:     strconv.Itoa(p.PID),
		LabelStarted: p.Started,
		LabelSession: p.Session,
		LabelScope:   p.Scope,
	}
}

// Probe reports whether the process pid is running and, when it can tell,
// when it started (in the form of Process.Started; empty otherwise). When
// it cannot tell whether pid runs, it says it does.
type Probe func(pid int) (running bool, started string)

// Leftover reports whether a container or network with labels is a
// leftover of a harness process that is gone, which self may remove.
// Anything it cannot be sure of is not: what the harness did not make
// (no Label), what self made (its session), what a process of another
// machine or PID namespace made (its PID cannot be looked up here), what
// carries no PID (an older harness's), what another sweep scope made. It is a leftover when probe says
// its PID is not running, or runs a process that started at another time
// than the one that made it.
func Leftover(labels map[string]string, self Process, probe Probe) bool {
	if labels[Label] == "" || labels[LabelSession] == self.Session {
		return false
	}
	if labels[LabelScope] != self.Scope {
		return false
	}
	if labels[LabelHost] == "" || labels[LabelHost] != self.Host {
		return false
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	if err != nil || pid <= 0 {
		return false
	}
	running, started := probe(pid)
	if !running {
		return true
	}
	made := labels[LabelStarted]
	return made != "" && started != "" && made != started
}
