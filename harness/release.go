package harness

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mimo/harness/internal/containers"
)

// EnvRollbackRef names the environment variable that picks the release
// the rollback drill returns to: a git ref, or "previous" (the default),
// the release before the checkout's own (harness/images/release.sh).
const EnvRollbackRef = "MIMO_ROLLBACK_REF"

// Release is Mimo's image as it was at a git ref.
type Release struct {
	// Image is its tag, mimo-harness/mimo:SHA12.
	Image string
	// Commit is the commit that last changed Mimo's sources at the ref.
	Commit string
	// Version is what that build's `mimo version` and /health say.
	Version string
	// Line is build.sh's line: built or cached, the tag, the seconds.
	Line string
}

// RollbackRef is $MIMO_ROLLBACK_REF, else "previous".
func RollbackRef() string {
	if r := strings.TrimSpace(os.Getenv(EnvRollbackRef)); r != "" {
		return r
	}
	return "previous"
}

// BuildRelease makes sure the image of Mimo at git ref is on this machine
// (harness/images/build.sh --ref ref: reused when its inputs are, built
// otherwise, which takes minutes on a cold Go build cache) and returns it.
// Any failure fails t with build.sh's output.
func BuildRelease(t testing.TB, ref string) Release {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "harness", "images", "build.sh"), "--ref", ref)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("harness: harness/images/build.sh --ref %s: %v\n%s", ref, err, out)
	}
	var r Release
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) >= 2 && (f[0] == "built" || f[0] == "cached") {
			r.Image, r.Line = f[1], strings.TrimSpace(line)
		}
	}
	if r.Image == "" {
		t.Fatalf("harness: build.sh --ref %s named no image:\n%s", ref, out)
	}
	cli, err := containers.DockerClient(ctx)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	defer cli.Close()
	img, err := cli.ImageInspect(ctx, r.Image)
	if err != nil {
		t.Fatalf("harness: %s: %v", r.Image, err)
	}
	if img.Config != nil {
		r.Commit = img.Config.Labels["mimo-harness.release"]
		r.Version = img.Config.Labels["mimo-harness.version"]
	}
	if r.Commit == "" || r.Version == "" {
		t.Fatalf("harness: %s lacks the labels of a release image (mimo-harness.release, mimo-harness.version)", r.Image)
	}
	return r
}

// moduleRoot is the folder of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
