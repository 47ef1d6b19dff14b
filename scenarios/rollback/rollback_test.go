// Package rollback is the validation scenario of docs/ROLLBACK_PROCEDURE.md:
// every command of the procedure drilled against the harness. Data written
// by the current image survives the schema's migration down to what the
// previous release knows, is served by that release's image, survives a
// backup and a restore, and passes the smoke script.
//
// The previous release is built from git (harness.BuildRelease): by
// default the commit before the one that last changed Mimo's sources,
// MIMO_ROLLBACK_REF for another.
package rollback

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"mimo/harness"
	"mimo/harness/mimoserver"
	"mimo/harness/record"
	mimo "mimo/system"
)

const (
	ns = "rollback"
	// memories is how many memories the current image writes.
	memories = 20
	// quickRollback is the seed's bound on a rollback: stopping the
	// current Mimo, rolling the schema back and serving the previous
	// release, verified.
	quickRollback = 5 * time.Minute
	// readyWithin bounds the waits for a Mimo to be ready; the condition,
	// not the bound, is what they wait for.
	readyWithin = 2 * time.Minute
	// backupDir is where the backup folder is mounted in the command
	// containers.
	backupDir = "/backup"
)

func TestRollbackToThePreviousReleaseOnPostgres(t *testing.T) {
	rec := record.New(t, "Rolled back on Postgres by docs/ROLLBACK_PROCEDURE.md — schema migrated down, the previous release's image started, a backup restored, the smoke script run — every memory the current image wrote is served, within the seed's 5 minutes")
	drillRollback(t, rec, "postgres", nil)
}

func TestRollbackToThePreviousReleaseOnSQLite(t *testing.T) {
	rec := record.New(t, "Rolled back on SQLite by docs/ROLLBACK_PROCEDURE.md — schema migrated down, the previous release's image started on the same data folder, a backup restored, the smoke script run — every memory the current image wrote is served, within the seed's 5 minutes")
	dir := writableDir(t)
	drillRollback(t, rec, "sqlite", []testcontainers.ContainerCustomizer{mimoserver.WithSQLite(dir)})
}

// drill is one run of the procedure: its environment, the release it goes
// back to, and the steps it has timed.
type drill struct {
	t       *testing.T
	rec     *record.Recorder
	env     *harness.Env
	release harness.Release
	backups []testcontainers.ContainerCustomizer
}

// step runs fn as the procedure's step name and records its time in
// seconds as name_s.
func (d *drill) step(name string, fn func()) time.Duration {
	d.t.Helper()
	began := time.Now()
	fn()
	took := time.Since(began)
	d.rec.Measure(name+"_s", took.Seconds(), "s")
	d.t.Logf("step %s: %.1f s", name, took.Seconds())
	return took
}

// mimo runs a Mimo command beside the environment, with the backup folder
// mounted, and requires it to succeed; the transcript goes into the
// record.
func (d *drill) mimo(args []string, opts ...testcontainers.ContainerCustomizer) harness.MimoRun {
	d.t.Helper()
	r := d.env.RunMimo(d.t, args, append(d.backups, opts...)...)
	d.rec.Evidence("note", r.String())
	require.Equal(d.t, 0, r.ExitCode, "%s", r)
	return r
}

func drillRollback(t *testing.T, rec *record.Recorder, store string, storeOpts []testcontainers.ContainerCustomizer) {
	ctx := context.Background()
	d := &drill{t: t, rec: rec}
	d.step("previous_image", func() { d.release = harness.BuildRelease(t, harness.RollbackRef()) })
	rec.SetEnv("rollback_ref", harness.RollbackRef())
	rec.SetEnv("previous_image", d.release.Image)
	rec.SetEnv("previous_version", d.release.Version)
	rec.Evidence("note", d.release.Line)
	previous := testcontainers.WithImage(d.release.Image)

	d.env = harness.Start(t, harness.Options{Record: rec, Mimo: storeOpts})
	bdir := writableDir(t)
	d.backups = []testcontainers.ContainerCustomizer{testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.Binds = append(hc.Binds, bdir+":"+backupDir)
	})}
	current, err := d.env.Health(ctx)
	require.NoError(t, err)
	rec.SetEnv("current_version", current.Version)
	if current.Version == d.release.Version {
		// A branch whose image was built from its base: still a full drill
		// of the commands, between two images of one version.
		rec.Evidence("note", "the current image and the previous release are both version "+current.Version)
	}

	// The current image writes the data the rollback must keep.
	written := map[string]string{}
	d.step("write_current", func() {
		for i := range memories {
			content := fmt.Sprintf("Rollback drill memory %d: the %s ledger closes on day %d.", i, store, i+1)
			res, err := d.env.Client().Store(ctx, mimo.StoreRequest{Namespace: ns, Content: content, Tags: []string{"rollback"}})
			require.NoError(t, err)
			written[res.Memory.ID] = content
		}
	})

	// How far back: the database's version by the current image, and the
	// newest schema the previous release knows.
	var dbVersion, knows int64
	d.step("read_versions", func() {
		dbVersion = schemaField(t, d.mimo([]string{"version"}).Output, `database: \S+ at schema (\d+)`)
		knows = schemaField(t, d.mimo([]string{"version"}, previous).Output, `schema: (\d+) \(this build's newest migration\)`)
	})
	down := dbVersion - knows
	require.GreaterOrEqual(t, down, int64(0), "the release at %s knows schema %d, newer than the database's %d: it is no earlier release", d.release.Commit, knows, dbVersion)
	rec.Measure("schema_current", float64(dbVersion), "count")
	rec.Measure("schema_previous", float64(knows), "count")
	rec.Measure("migrations_rolled_back", float64(down), "count")

	var rollback time.Duration
	rollback += d.step("stop_current", func() { d.env.Stop(harness.Mimo) })
	rollback += d.step("migrate_down", func() {
		if down > 0 {
			d.mimo([]string{"migrate", "down", strconv.FormatInt(down, 10)})
			return
		}
		// The same schema: the drill still runs the command, one step
		// down and up again with the current image (the procedure's
		// section "Database Rollback" says why).
		out := d.mimo([]string{"migrate", "down", "1"}).Output
		assert.Contains(t, out, "rolled back "+strconv.FormatInt(dbVersion, 10))
		d.mimo([]string{"migrate", "up"})
	})
	status := d.mimo([]string{"migrate", "status"}, previous).Output
	assert.NotContains(t, status, "pending", "the previous release finds every migration it knows applied")
	assert.Equal(t, knows, schemaField(t, d.mimo([]string{"version"}, previous).Output, `database: \S+ at schema (\d+)`))

	var old *harness.MimoServer
	rollback += d.step("start_previous", func() { old = d.env.StartMimo(t, previous) })
	rollback += d.step("verify_previous", func() { verify(t, old, written) })
	h, err := old.Client().Health(ctx)
	require.NoError(t, err)
	assert.Equal(t, d.release.Version, h.Version, "the previous release serves")
	rec.Measure("rollback_total_s", rollback.Seconds(), "s")
	assert.Less(t, rollback, quickRollback, "the seed's Quick Rollback: under 5 minutes from stopping the current Mimo to the previous release serving the data")

	// Backup and restore with the previous release: what was written after
	// the backup is gone, everything before it is back.
	file := backupDir + "/rollback-" + store + ".backup"
	d.step("backup", func() { d.mimo([]string{"backup", file}, previous) })
	after, err := old.Client().Store(ctx, mimo.StoreRequest{Namespace: ns, Content: "Written after the backup, so the restore removes it."})
	require.NoError(t, err)
	d.env.Stop(old.Name)
	d.step("restore", func() { d.mimo([]string{"restore", "--force", file}, previous) })
	d.step("restart_previous", func() { d.env.StartContainer(old.Name) })
	d.step("verify_restored", func() {
		verify(t, old, written)
		_, err := old.Client().Get(ctx, ns, after.Memory.ID)
		assert.Equal(t, mimo.ENOTFOUND, mimo.ErrorCode(err), "the memory written after the backup is gone: %v", err)
	})

	d.step("smoke", func() {
		cmd := exec.Command(filepath.Join(moduleRoot(t), "scripts", "smoke.sh"), old.URL())
		out, err := cmd.CombinedOutput()
		rec.Evidence("note", "$ scripts/smoke.sh "+old.URL()+"\n"+string(out))
		require.NoError(t, err, "scripts/smoke.sh against the rolled-back Mimo:\n%s", out)
		assert.Contains(t, string(out), "smoke: PASS")
	})
}

// verify requires every written memory to be served whole by m, and a
// search to find them.
func verify(t *testing.T, m *harness.MimoServer, written map[string]string) {
	t.Helper()
	ctx := context.Background()
	m.WaitForReady(t, readyWithin)
	c := m.Client()
	for id, content := range written {
		got, err := c.Get(ctx, ns, id)
		if assert.NoError(t, err, "memory %s is served", id) {
			assert.Equal(t, content, got.Content, "memory %s is whole", id)
		}
	}
	page, err := c.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: "ledger closes", Limit: memories})
	require.NoError(t, err)
	found := 0
	for _, r := range page.Results {
		if _, ok := written[r.Memory.ID]; ok {
			found++
		}
	}
	assert.Equal(t, len(written), found, "a search finds every written memory")
}

// schemaField is the number the pattern's group finds in a command's
// output.
func schemaField(t *testing.T, out, pattern string) int64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	require.Len(t, m, 2, "no %q in:\n%s", pattern, out)
	v, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return v
}

// writableDir is a new folder that Mimo's user in its containers may
// write.
func writableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777))
	return dir
}

// moduleRoot is the repository's root, where scripts/ is.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	return filepath.Dir(string(out[:len(out)-1]))
}
