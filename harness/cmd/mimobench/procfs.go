package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ProcMemory is a process's memory as the kernel reports it in
// /proc/PID/status: resident now (VmRSS) and its peak (VmHWM), in bytes.
type ProcMemory struct {
	RSSBytes  int64   `json:"rss_bytes"`
	PeakBytes int64   `json:"peak_rss_bytes"`
	RSSMB     float64 `json:"rss_mb"`
	PeakMB    float64 `json:"peak_rss_mb"`
}

// readProcMemory reads the memory of process pid.
func readProcMemory(pid int) (ProcMemory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMemory{}, err
	}
	defer f.Close()
	return parseProcStatus(f)
}

// parseProcStatus reads VmRSS and VmHWM from the text of /proc/PID/status
// ("VmRSS:\t  123456 kB"). Both must be present: a kernel thread or a
// zombie has neither, and reporting zero for it would read as a figure.
func parseProcStatus(r io.Reader) (ProcMemory, error) {
	var m ProcMemory
	var haveRSS, haveHWM bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		n, err := parseKB(val)
		if err != nil {
			return ProcMemory{}, fmt.Errorf("%s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSSBytes, haveRSS = n, true
		} else {
			m.PeakBytes, haveHWM = n, true
		}
	}
	if err := sc.Err(); err != nil {
		return ProcMemory{}, err
	}
	if !haveRSS || !haveHWM {
		return ProcMemory{}, fmt.Errorf("no VmRSS/VmHWM lines (is the process a zombie?)")
	}
	m.RSSMB = round(float64(m.RSSBytes)/(1<<20), 1)
	m.PeakMB = round(float64(m.PeakBytes)/(1<<20), 1)
	return m, nil
}

// parseKB parses "  123456 kB" into bytes.
func parseKB(s string) (int64, error) {
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("unexpected value %q, want \"N kB\"", strings.TrimSpace(s))
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("unexpected value %q, want \"N kB\"", strings.TrimSpace(s))
	}
	return n * 1024, nil
}

// CPUInfo describes the machine's processor from /proc/cpuinfo.
type CPUInfo struct {
	Model string `json:"model"`
	// Cores is the number of logical processors listed.
	Cores int `json:"cores"`
}

// parseCPUInfo reads the first "model name" and counts "processor" entries
// of /proc/cpuinfo. Architectures without "model name" (some ARM kernels)
// leave Model empty rather than failing: the figure is informative only.
func parseCPUInfo(r io.Reader) (CPUInfo, error) {
	var c CPUInfo
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "processor":
			c.Cores++
		case "model name":
			if c.Model == "" {
				c.Model = strings.Join(strings.Fields(val), " ")
			}
		}
	}
	return c, sc.Err()
}

// readLoadAverage returns the 1-, 5- and 15-minute load averages of
// /proc/loadavg, or nil when it cannot be read: other work on the machine
// skews every figure, and the report should say how busy it was.
func readLoadAverage() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	la, err := parseLoadAverage(string(b))
	if err != nil {
		return nil
	}
	return la
}

// parseLoadAverage reads the first three fields of /proc/loadavg
// ("0.52 0.58 0.59 1/389 12345").
func parseLoadAverage(s string) ([]float64, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return nil, fmt.Errorf("loadavg %q: want at least three fields", s)
	}
	out := make([]float64, 3)
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil, fmt.Errorf("loadavg %q: %w", s, err)
		}
		out[i] = v
	}
	return out, nil
}
