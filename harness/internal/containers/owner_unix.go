//go:build unix

package containers

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// probe is the Probe of this machine. Whether pid exists is asked with
// signal 0 (EPERM: it exists, run by someone else), which /proc's hidepid
// cannot hide; where /proc is (Linux), its start time is the 22nd field
// of /proc/<pid>/stat, in clock ticks since boot.
func probe(pid int) (running bool, started string) {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return false, ""
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true, ""
	}
	return true, startTime(string(stat))
}

// startTime is the start time field of a /proc/<pid>/stat line, or "".
// The command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted from the last ")".
func startTime(stat string) string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return ""
	}
	// Fields after the name start with field 3 (state); start time is 22.
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// pidNamespace names the PID namespace of this process (Linux), or "".
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}
