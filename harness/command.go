package harness

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"

	"mimo/harness/internal/containers"
	"mimo/harness/mimoserver"
)

// MimoCommand is the name on the private network of the containers
// RunMimo starts.
const MimoCommand = "mimo-command"

// MimoRun is one Mimo command run to its end by RunMimo.
type MimoRun struct {
	Args     []string
	ExitCode int
	// Output is stdout and stderr, interleaved.
	Output  string
	Elapsed time.Duration
}

// String is the command and its output, for a test's messages and a
// record's evidence.
func (r MimoRun) String() string {
	return "$ mimo " + strings.Join(r.Args, " ") + "   (exit " + itoaExit(r.ExitCode) + ", " +
		r.Elapsed.Round(time.Millisecond).String() + ")\n" + r.Output
}

func itoaExit(c int) string {
	if c < 0 {
		return "none"
	}
	return strconv.Itoa(c)
}

// RunMimo runs `mimo ARGS…` (migrate, backup, restore, version, …) to its
// end in a new container beside the environment's Mimos, as an operator
// runs a command next to the servers: on the private network, with the
// environment's Postgres (through its proxy) as its database, customized
// by Options.Mimo and then opts (testcontainers.WithImage for another
// build of Mimo, mimoserver.WithSQLite for a data folder of its own). A
// command that fails is returned with its exit code for the test to judge;
// a container that cannot run fails t. The container is removed before
// RunMimo returns.
func (e *Env) RunMimo(t testing.TB, args []string, opts ...testcontainers.ContainerCustomizer) MimoRun {
	t.Helper()
	all := slices.Concat([]testcontainers.ContainerCustomizer{mimoserver.WithDatabaseURL(e.DatabaseURL())}, e.opts.Mimo, opts,
		[]testcontainers.ContainerCustomizer{
			network.WithNetwork([]string{MimoCommand}, e.network),
			testcontainers.WithLabels(containers.Self().Labels(MimoCommand)),
			testcontainers.WithLogger(tclog.TestLogger(e.t)),
		})
	began := time.Now()
	code, out, err := mimoserver.Exec(context.Background(), args, all...)
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, out)
	}
	return MimoRun{Args: args, ExitCode: code, Output: out, Elapsed: time.Since(began)}
}
