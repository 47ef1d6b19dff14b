package harness

import (
	"context"
	"os"
	"testing"

	"mimo/harness/internal/containers"
)

// RequireDocker skips t when Docker is not reachable, or fails it when the
// environment variable CI is "true": in CI a missing engine is a broken
// runner, not a reason to pass.
func RequireDocker(t testing.TB) {
	t.Helper()
	skipOrFail(t, containers.DockerReachable(context.Background()))
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Docker is required under CI=true and is not reachable: %v", err)
		return
	}
	t.Skipf("skipping: Docker is not reachable (%v); start a Docker engine and run make images to run this scenario", err)
}
