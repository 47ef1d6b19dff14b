package reports

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// ImageReference selects the images the harness runs (harness/images
// builds them under this name, tagged latest and by content hash).
const ImageReference = "mimo-harness/*:latest"

// Begin starts an environment record at now: the machine, Go, the commit,
// and the image ID of every image matching ImageReference. A missing
// docker leaves Images empty, which the page shows.
func Begin(ctx context.Context, commit string) *Environment {
	e := &Environment{
		Commit: commit, Started: time.Now().UTC(), GoVersion: runtime.Version(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
	}
	e.Kernel = strings.TrimSpace(readFirst("/proc/sys/kernel/osrelease"))
	e.CPUModel = cpuModel()
	e.MemoryMiB = memTotalMiB()
	e.Images = images(ctx)
	return e
}

// End stamps e's end at now and reads the images again: an image built
// during the run (make validate builds before it runs) is the one used.
func (e *Environment) End(ctx context.Context) {
	e.Ended = time.Now().UTC()
	if imgs := images(ctx); len(imgs) > 0 {
		e.Images = imgs
	}
}

// WriteEnvironment writes e as JSON to path, whole.
func WriteEnvironment(path string, e *Environment) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(b, '\n'))
}

// ReadEnvironment reads an environment file; a missing one is an error.
func ReadEnvironment(path string) (*Environment, error) {
	e, err := readEnvironment(path)
	if err == nil && e == nil {
		return nil, os.ErrNotExist
	}
	return e, err
}

// images maps each image name:tag of ImageReference to its ID, from the
// docker CLI; nil when docker is absent or fails.
func images(ctx context.Context) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "images", "--no-trunc", "--filter", "reference="+ImageReference,
		"--format", "{{.Repository}}:{{.Tag}} {{.ID}}").Output()
	if err != nil {
		return nil
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, id, ok := strings.Cut(l, " "); ok {
			m[name] = id
		}
	}
	return m
}

func readFirst(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func memTotalMiB() int {
	for _, l := range strings.Split(readFirst("/proc/meminfo"), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
			var kb int
			for _, c := range f[1] {
				kb = kb*10 + int(c-'0')
			}
			return kb / 1024
		}
	}
	return 0
}
