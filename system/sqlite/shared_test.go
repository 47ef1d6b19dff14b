package sqlite_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/sqlite"
	"mimo/system/storetest"
)

// Two Store values on one file behave as two processes would: each sees
// what the other wrote, and their concurrent writes all land.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openAt(t, path, true)
	b := openAt(t, path, true)

	m := storetest.NewMemory("shared", "the kestrel nests on the north tower")
	_, _, err := a.CreateMemory(ctx, m)
	require.NoError(t, err)
	got, err := b.GetMemory(ctx, "shared", m.ID)
	require.NoError(t, err)
	storetest.AssertSameMemory(t, m, got, true)
	hits, err := b.TextSearch(ctx, "kestrel", mimo.Filter{Namespace: "shared"}, 10)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	assert.Equal(t, m.ID, hits[0].ID)
	cs, err := b.Changes(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, m.ID, cs[0].ID)

	require.NoError(t, b.DeleteMemory(ctx, "shared", m.ID))
	_, err = a.GetMemory(ctx, "shared", m.ID)
	requireCode(t, err, mimo.ENOTFOUND)

	const writers, each = 4, 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*each)
	for si, s := range []*sqlite.Store{a, b} {
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					mem := storetest.NewMemory("race", fmt.Sprintf("store %d writer %d item %d", si, w, i))
					if i%5 == 0 {
						res, err := s.CreateMemories(ctx, []*mimo.Memory{mem, storetest.NewMemory("race", mem.Content+" batch")})
						if err == nil {
							for _, r := range res {
								err = r.Err
							}
						}
						if err != nil {
							errs <- err
						}
						continue
					}
					if _, _, err := s.CreateMemory(ctx, mem); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	want := int64(2 * writers * (each + each/5))
	for _, s := range []*sqlite.Store{a, b} {
		n, err := s.CountMemories(ctx, "race")
		require.NoError(t, err)
		assert.Equal(t, want, n)
	}
	assertLogConsistent(t, a)
}

// assertLogConsistent checks that the change log has one upsert per live
// memory of namespace "race" (they are only ever created) and unique Seqs.
func assertLogConsistent(t *testing.T, s *sqlite.Store) {
	t.Helper()
	seen := map[string]int{}
	after := int64(0)
	for {
		cs, err := s.Changes(t.Context(), after, 500)
		require.NoError(t, err)
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			require.Greater(t, c.Seq, after)
			after = c.Seq
			if c.Namespace == "race" {
				seen[c.ID]++
			}
		}
	}
	n, err := s.CountMemories(t.Context(), "race")
	require.NoError(t, err)
	assert.Len(t, seen, int(n))
	for id, k := range seen {
		assert.Equal(t, 1, k, "memory %s logged once", id)
	}
}

// The environment variables that turn the test binary into a writer
// process for TestProcessesShareOneFile.
const (
	envHelperDB = "MIMO_SQLITE_TEST_HELPER_DB"
	envHelperID = "MIMO_SQLITE_TEST_HELPER_ID"
	helperItems = 60
)

// TestHelperProcess is not a test: it is the child process of
// TestProcessesShareOneFile, which sets envHelperDB.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(envHelperDB)
	if path == "" {
		t.Skip("runs only as a child process")
	}
	id, _ := strconv.Atoi(os.Getenv(envHelperID))
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.MigrateUp(t.Context())
	require.NoError(t, err)
	for i := range helperItems {
		m := storetest.NewMemory("race", fmt.Sprintf("process %d wrote item %d about otters", id, i))
		_, created, err := s.CreateMemory(t.Context(), m)
		require.NoError(t, err)
		require.True(t, created)
	}
}

// Separate processes open, migrate and write one fresh file at the same
// time, as desktop windows each running Mimo do. Nothing fails or is lost,
// and every process's writes are visible to the others.
func TestProcessesShareOneFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "procs.db")
	const procs = 3
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envHelperDB+"="+path, envHelperID+"="+strconv.Itoa(i))
		outs[i] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		require.NoError(t, cmd.Start())
		cmds[i] = cmd
	}
	// This process writes too, on its own store, while the children run.
	s := openAt(t, path, true)
	for i := range helperItems {
		_, _, err := s.CreateMemory(t.Context(), storetest.NewMemory("race", fmt.Sprintf("parent wrote item %d about otters", i)))
		require.NoError(t, err)
	}
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "child %d:\n%s", i, outs[i])
	}
	n, err := s.CountMemories(t.Context(), "race")
	require.NoError(t, err)
	assert.EqualValues(t, (procs+1)*helperItems, n)
	hits, err := s.TextSearch(t.Context(), "otters", mimo.Filter{Namespace: "race"}, mimo.MaxSearchLimit)
	require.NoError(t, err)
	assert.Len(t, hits, mimo.MaxSearchLimit, "the children's writes are searchable here")
	assertLogConsistent(t, s)
}
