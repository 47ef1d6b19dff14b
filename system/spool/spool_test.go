package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

func open(t *testing.T, dir string, fsys FS, max int64) *Spool {
	t.Helper()
	s, err := Open(Options{Dir: dir, FS: fsys, MaxBytes: max})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func appendAll(t *testing.T, s *Spool, payloads ...string) {
	t.Helper()
	for _, p := range payloads {
		require.NoError(t, s.Append([]byte(p)), "append %q", p)
	}
}

// replayAll replays and returns the payloads applied, in order.
func replayAll(t *testing.T, s *Spool) []string {
	t.Helper()
	var got []string
	n, err := s.Replay(context.Background(), func(_ context.Context, p []byte) error {
		got = append(got, string(p))
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, len(got), n)
	return got
}

// faultySpool opens a spool in a new directory on a faultFS, with
// payloads appended, for a test to inject failures into.
func faultySpool(t *testing.T, payloads ...string) (string, *faultFS, *Spool) {
	t.Helper()
	dir, fsys := t.TempDir(), &faultFS{}
	s := open(t, dir, fsys, 0)
	appendAll(t, s, payloads...)
	return dir, fsys, s
}

// restart closes s and opens its directory again with no fault: what a
// process started after a failure finds.
func restart(t *testing.T, s *Spool, dir string) *Spool {
	t.Helper()
	require.NoError(t, s.Close())
	return open(t, dir, nil, 0)
}

// segmentFile is the path of the only segment in dir.
func segmentFile(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.log"))
	require.NoError(t, err)
	require.Len(t, m, 1)
	return m[0]
}

func TestAppendThenReplayInOrder(t *testing.T) {
	s := open(t, t.TempDir(), nil, 0)
	appendAll(t, s, "a", "b", "c")
	assert.Equal(t, 3, s.Pending())
	assert.Equal(t, int64(3*(headerSize+1)), s.Bytes())

	assert.Equal(t, []string{"a", "b", "c"}, replayAll(t, s))
	assert.Equal(t, 0, s.Pending())
	assert.Equal(t, int64(0), s.Bytes())
	assert.Empty(t, replayAll(t, s), "nothing is applied twice")

	appendAll(t, s, "d")
	assert.Equal(t, []string{"d"}, replayAll(t, s))
}

func TestReplayRotatesToAnEmptySegment(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "a", "b")
	replayAll(t, s)
	st, err := os.Stat(segmentFile(t, dir))
	require.NoError(t, err)
	assert.Zero(t, st.Size(), "the applied records are gone from disk")
	marker, err := os.Stat(filepath.Join(dir, markerName))
	require.NoError(t, err)
	assert.Equal(t, int64(markerEntrySize), marker.Size(), "the marker is compacted to one entry")
}

func TestReopenResumesWhereReplayStopped(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "a", "b", "c")
	stop := errors.New("database went away")
	var got []string
	n, err := s.Replay(context.Background(), func(_ context.Context, p []byte) error {
		if string(p) == "b" {
			return stop
		}
		got = append(got, string(p))
		return nil
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
	assert.Equal(t, 2, s.Pending())
	s = restart(t, s, dir)
	assert.Equal(t, 2, s.Pending(), "the marker survives a restart")
	assert.Equal(t, []string{"b", "c"}, replayAll(t, s), "a restart resumes at the first record not applied")
}

func TestAFailedAppendLeavesNothingBehind(t *testing.T) {
	for name, tc := range map[string]struct {
		steps []string // each fails once on the segment
		// goesOn is whether appends after the failed one are taken.
		goesOn bool
		want   []string // replayed after a restart
	}{
		"write.before":  {[]string{"write.before"}, true, []string{"a", "c"}},
		"write.partial": {[]string{"write.partial"}, true, []string{"a", "c"}},
		"write.after":   {[]string{"write.after"}, true, []string{"a", "c"}},
		"sync.before":   {[]string{"sync.before"}, true, []string{"a", "c"}},
		"sync.after":    {[]string{"sync.after"}, true, []string{"a", "c"}},
		// An append after garbage would look like damage in the middle;
		// the torn record is cut off at the next open.
		"write.partial, and cutting it off fails": {[]string{"write.partial", "truncate"}, false, []string{"a"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir, fsys, s := faultySpool(t, "a")
			for _, step := range tc.steps {
				fsys.inject(step, "0", 1)
			}
			err := s.Append([]byte("lost"))
			require.Error(t, err)
			assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
			assert.ErrorIs(t, err, errInjected)
			assert.Equal(t, 1, s.Pending(), "a refused write is not pending")
			err = s.Append([]byte("c"))
			if tc.goesOn {
				require.NoError(t, err)
			} else {
				require.Error(t, err, "appends stop")
				assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
			}
			s = restart(t, s, dir)
			assert.Equal(t, tc.want, replayAll(t, s), "after a restart")
		})
	}
}

func TestATornLastRecordIsCutOffAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "first", "second")
	require.NoError(t, s.Close())
	seg := segmentFile(t, dir)
	st, err := os.Stat(seg)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(seg, st.Size()-3))

	s = open(t, dir, nil, 0)
	assert.Equal(t, 1, s.Pending())
	appendAll(t, s, "third")
	s = restart(t, s, dir)
	assert.Equal(t, []string{"first", "third"}, replayAll(t, s))
}

func TestATornHeaderIsCutOffAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "first")
	require.NoError(t, s.Close())
	f, err := os.OpenFile(segmentFile(t, dir), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{9, 0, 0})
	require.NoError(t, err)
	require.NoError(t, f.Close())

	s = open(t, dir, nil, 0)
	assert.Equal(t, []string{"first"}, replayAll(t, s))
}

func TestACrashAtAnyByteOfAnAppendKeepsEveryAcknowledgedRecord(t *testing.T) {
	src := t.TempDir()
	s := open(t, src, nil, 0)
	appendAll(t, s, "acknowledged one", "acknowledged two", "being written when the power went")
	require.NoError(t, s.Close())
	whole, err := os.ReadFile(segmentFile(t, src))
	require.NoError(t, err)
	last := int64(len(whole)) - int64(headerSize+len("being written when the power went"))
	for cut := last; cut < int64(len(whole)); cut++ {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(segmentFile(t, src))), whole[:cut], 0o600))
		s, err := Open(Options{Dir: dir})
		require.NoError(t, err, "cut at byte %d", cut)
		var got []string
		_, err = s.Replay(context.Background(), func(_ context.Context, p []byte) error {
			got = append(got, string(p))
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"acknowledged one", "acknowledged two"}, got, "cut at byte %d", cut)
		require.NoError(t, s.Close())
	}
}

func flipByte(t *testing.T, name string, off int64) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= 0xff
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}

func TestADamagedLastRecordIsCutOffAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "first", "second")
	require.NoError(t, s.Close())
	seg := segmentFile(t, dir)
	st, err := os.Stat(seg)
	require.NoError(t, err)
	flipByte(t, seg, st.Size()-1)

	s = open(t, dir, nil, 0)
	assert.Equal(t, []string{"first"}, replayAll(t, s))
}

func TestDamageInTheMiddleIsReported(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "first", "second", "third")
	require.NoError(t, s.Close())
	flipByte(t, segmentFile(t, dir), headerSize+2) // inside "first"

	_, err := Open(Options{Dir: dir})
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "byte 0")
}

func TestAFailedMarkReappliesOnlyThatRecord(t *testing.T) {
	for _, step := range []string{"write.before", "write.partial", "sync.before", "sync.after"} {
		t.Run(step, func(t *testing.T) {
			dir, fsys, s := faultySpool(t, "a", "b", "c")
			var got []string
			_, err := s.Replay(context.Background(), func(_ context.Context, p []byte) error {
				got = append(got, string(p))
				if string(p) == "b" {
					fsys.inject(step, markerName, 1)
				}
				return nil
			})
			require.Error(t, err, "the marker could not be written")
			assert.Equal(t, []string{"a", "b"}, got)
			assert.Equal(t, 2, s.Pending(), "b is applied but not marked")
			again := replayAll(t, restart(t, s, dir))
			if step == "write.before" || step == "write.partial" {
				assert.Equal(t, []string{"b", "c"}, again,
					"only the record being marked is delivered again; apply must be idempotent for it")
			} else {
				// The entry reached the file though its fsync failed: the
				// page cache kept it, and b counts as marked after all.
				assert.Contains(t, [][]string{{"b", "c"}, {"c"}}, again)
			}
		})
	}
}

func TestATornMarkerEntryLeavesTheOneBefore(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "a", "b")
	_, err := s.Replay(context.Background(), func(_ context.Context, p []byte) error {
		if string(p) == "b" {
			return errors.New("stop")
		}
		return nil
	})
	require.Error(t, err)
	require.NoError(t, s.Close())
	f, err := os.OpenFile(filepath.Join(dir, markerName), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 11))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	s = open(t, dir, nil, 0)
	assert.Equal(t, []string{"b"}, replayAll(t, s))
}

func TestARotationThatFailsHalfWayLosesNothing(t *testing.T) {
	for _, step := range []string{"open", "rename", "syncdir"} {
		t.Run(step, func(t *testing.T) {
			dir, fsys, s := faultySpool(t, "a")
			fsys.inject(step, "", 1)
			assert.Equal(t, []string{"a"}, replayAll(t, s))
			assert.Equal(t, 0, s.Pending())
			appendAll(t, s, "b")
			s = restart(t, s, dir)
			assert.Equal(t, 1, s.Pending())
			assert.Equal(t, []string{"b"}, replayAll(t, s), "a is not applied again; b is not lost")
		})
	}
}

func TestAFullSpoolRefusesAppends(t *testing.T) {
	s := open(t, t.TempDir(), nil, 3*(headerSize+4))
	appendAll(t, s, "aaaa", "bbbb", "cccc")
	err := s.Append([]byte("dddd"))
	require.ErrorIs(t, err, ErrFull)
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err))
	assert.Contains(t, mimo.ErrorMessage(err), "spool full")
	assert.Equal(t, 3, s.Pending())
	replayAll(t, s)
	appendAll(t, s, "dddd")
}

func TestASecondOpenOfOneDirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, nil, 0)
	_, err := Open(Options{Dir: dir})
	require.ErrorIs(t, err, ErrLocked)
}

func TestAppendsDuringReplayAreReplayedOnceInOrder(t *testing.T) {
	s := open(t, t.TempDir(), nil, 0)
	appendAll(t, s, "w0-0")
	var wg sync.WaitGroup
	const writers, each = 3, 40
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if w == 0 && i == 0 {
					continue
				}
				assert.NoError(t, s.Append(fmt.Appendf(nil, "w%d-%d", w, i)))
			}
		}()
	}
	var got []string
	for {
		_, err := s.Replay(context.Background(), func(_ context.Context, p []byte) error {
			got = append(got, string(p))
			return nil
		})
		require.NoError(t, err)
		if len(got) == writers*each {
			break
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	assert.Empty(t, replayAll(t, s))
	seen := map[string]bool{}
	last := map[byte]int{}
	for _, g := range got {
		assert.False(t, seen[g], "%s applied twice", g)
		seen[g] = true
		var w, i int
		_, err := fmt.Sscanf(g, "w%d-%d", &w, &i)
		require.NoError(t, err)
		if prev, ok := last[byte(w)]; ok {
			assert.Greater(t, i, prev, "each writer's records in order")
		}
		last[byte(w)] = i
	}
	assert.Len(t, seen, writers*each)
}

func TestOpenNeedsADirectory(t *testing.T) {
	_, err := Open(Options{})
	require.Error(t, err)
}

func BenchmarkAppend(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := make([]byte, 2048) // a memory with a 384-float vector is about this
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		if err := s.Append(payload); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// replayBatches replays most records at a time and returns the batches
// apply was given.
func replayBatches(t *testing.T, s *Spool, most int) [][]string {
	t.Helper()
	var got [][]string
	total := 0
	n, err := s.ReplayBatch(context.Background(), most, func(_ context.Context, ps [][]byte) (int, error) {
		var b []string
		for _, p := range ps {
			b = append(b, string(p))
		}
		got = append(got, b)
		total += len(ps)
		return len(ps), nil
	})
	require.NoError(t, err)
	require.Equal(t, total, n)
	return got
}

func TestReplayBatchGivesConsecutiveRecordsInOrder(t *testing.T) {
	s := open(t, t.TempDir(), nil, 0)
	appendAll(t, s, "a", "b", "c", "d", "e")
	assert.Equal(t, [][]string{{"a", "b"}, {"c", "d"}, {"e"}}, replayBatches(t, s, 2))
	assert.Zero(t, s.Pending())
	assert.Zero(t, s.Bytes())
	assert.Empty(t, replayBatches(t, s, 2), "nothing is applied twice")
	appendAll(t, s, "f")
	assert.Equal(t, [][]string{{"f"}}, replayBatches(t, s, 0), "at least one record a batch")
}

func TestReplayBatchMarksTheAppliedPrefix(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil, 0)
	appendAll(t, s, "a", "b", "c", "d")
	stop := errors.New("database went away")
	n, err := s.ReplayBatch(context.Background(), 10, func(_ context.Context, ps [][]byte) (int, error) {
		require.Len(t, ps, 4)
		return 2, stop // a and b applied, c failed
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 2, n)
	assert.Equal(t, 2, s.Pending())
	assert.Equal(t, int64(2*(headerSize+1)), s.Bytes())
	require.NoError(t, s.Close())

	s = open(t, dir, nil, 0)
	assert.Equal(t, 2, s.Pending(), "the marker survives a restart")
	assert.Equal(t, [][]string{{"c", "d"}}, replayBatches(t, s, 10))

	_, err = s.ReplayBatch(context.Background(), 10, func(context.Context, [][]byte) (int, error) { return 0, nil })
	assert.NoError(t, err, "an empty spool calls nothing")
	appendAll(t, s, "e")
	_, err = s.ReplayBatch(context.Background(), 10, func(context.Context, [][]byte) (int, error) { return 0, nil })
	assert.Error(t, err, "apply must make progress or fail")
	assert.Equal(t, 1, s.Pending())
}

// A crash (here, a marker write that fails) after a batch was applied
// delivers the whole batch again, never anything marked before it.
func TestAFailedBatchMarkReappliesThatBatch(t *testing.T) {
	dir := t.TempDir()
	fsys := &faultFS{}
	s := open(t, dir, fsys, 0)
	appendAll(t, s, "a", "b", "c", "d", "e")
	var got [][]string
	_, err := s.ReplayBatch(context.Background(), 2, func(_ context.Context, ps [][]byte) (int, error) {
		var b []string
		for _, p := range ps {
			b = append(b, string(p))
		}
		got = append(got, b)
		if b[0] == "c" {
			fsys.inject("write.before", markerName, 1)
		}
		return len(ps), nil
	})
	require.Error(t, err, "the marker could not be written")
	assert.Equal(t, [][]string{{"a", "b"}, {"c", "d"}}, got)
	assert.Equal(t, 3, s.Pending(), "c and d are applied but not marked")
	require.NoError(t, s.Close())

	s = open(t, dir, nil, 0)
	assert.Equal(t, [][]string{{"c", "d"}, {"e"}}, replayBatches(t, s, 2), "the unmarked batch again, then the rest")
}
