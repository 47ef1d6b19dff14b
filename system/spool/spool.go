// Package spool is Mimo's durable write spool: while the database cannot
// take writes, the service appends them here and acknowledges them; once
// the database is back it replays them in order.
//
// The spool is a directory of append-only segment files and a marker file.
// Each record is framed with its length and a CRC-32C checksum and fsynced
// before Append returns, so an acknowledged write survives a crash. The
// marker says, durably, how far replay has got: a replay that crashes
// resumes after the last record it marked, and the record (or, with
// ReplayBatch, the batch) that may have been applied but not yet marked
// is applied again, which is why the caller's apply must be idempotent.
// When everything is applied the spool rotates to a fresh segment and
// deletes the old ones.
//
// At Open a torn or damaged last record (a write cut off by a crash) is
// cut off and logged; damage anywhere else is ErrCorrupt, and the spool
// does not open, since dropping records silently would lose acknowledged
// writes.
package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	mimo "mimo/system"
)

// DefaultMaxBytes is Options.MaxBytes's zero value (MIMO_SPOOL_MAX).
const DefaultMaxBytes = 256 << 20

// Errors of the spool. Append's errors are *mimo.Error EUNAVAILABLE
// wrapping ErrFull, ErrClosed or the file system's error.
var (
	ErrFull    = errors.New("spool full")
	ErrClosed  = errors.New("spool closed")
	ErrCorrupt = errors.New("spool corrupt")
	ErrLocked  = errors.New("spool in use by another process")
)

// Options configure Open. Dir is required.
type Options struct {
	// Dir holds the spool's files; it is created if missing.
	Dir string
	// MaxBytes caps the bytes of records not yet applied (framing
	// included); an Append past it fails with ErrFull. Zero means
	// DefaultMaxBytes.
	MaxBytes int64
	// FS is the file system; nil means the operating system's.
	FS FS
	// Logger receives what Open cuts off or cleans up; nil discards.
	Logger *slog.Logger
}

// segment is one append-only file of records.
type segment struct {
	n    uint64
	f    File
	size int64
}

// Spool is a durable queue of records. It is safe for concurrent use:
// Appends may run while a Replay does; one Replay runs at a time.
type Spool struct {
	fs   FS
	dir  string
	max  int64
	log  *slog.Logger
	lock io.Closer

	replayMu sync.Mutex

	mu      sync.Mutex
	segs    []*segment // in order; appends go to the last
	mark    *marker
	applied position // the next record to apply
	pending int
	bytes   int64
	broken  error // a failed write that could not be cut off
	closed  bool
}

func segName(n uint64) string { return fmt.Sprintf("%020d.log", n) }

// Open opens the spool in o.Dir, creating it if needed, and checks every
// record not yet applied. Its errors: ErrLocked when another process has
// it open, ErrCorrupt for damage other than a torn last record, or the
// file system's.
func Open(o Options) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: a directory is required")
	}
	s := &Spool{fs: o.FS, dir: o.Dir, max: o.MaxBytes, log: o.Logger}
	if s.fs == nil {
		s.fs = OSFS{}
	}
	if s.max <= 0 {
		s.max = DefaultMaxBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.fs.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", s.dir, err)
	}
	s.lock = lock
	if err := s.open(); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("spool %s: %w", s.dir, err)
	}
	return s, nil
}

func (s *Spool) open() error {
	mk, at, cut, err := openMarker(s.fs, s.dir)
	if err != nil {
		return err
	}
	s.mark = mk
	// The marker may have just been created: its entry in the directory
	// must survive a crash, or a replay would start over.
	if err := s.fs.SyncDir(s.dir); err != nil {
		return err
	}
	if cut > 0 {
		s.log.Warn("spool marker: a torn last entry was cut off", "bytes", cut)
	}
	nums, err := s.segments()
	if err != nil {
		return err
	}
	var keep []uint64
	for _, n := range nums {
		if n < at.seg {
			// Applied in full; a crash came between the marker moving on
			// and the file's removal.
			if err := s.fs.Remove(filepath.Join(s.dir, segName(n))); err != nil {
				return err
			}
			continue
		}
		keep = append(keep, n)
	}
	switch {
	case len(keep) == 0:
		n := max(at.seg, 1)
		if err := s.createSegment(n); err != nil {
			return err
		}
		keep = []uint64{n}
		at = position{seg: n}
	case keep[0] != at.seg:
		at = position{seg: keep[0]}
	}
	s.applied = at
	for i, n := range keep {
		f, err := s.fs.OpenFile(filepath.Join(s.dir, segName(n)), os.O_RDWR, 0o600)
		if err != nil {
			return err
		}
		seg := &segment{n: n, f: f}
		s.segs = append(s.segs, seg)
		st, err := f.Stat()
		if err != nil {
			return err
		}
		seg.size = st.Size()
		from := int64(0)
		if n == at.seg {
			from = at.off
		}
		if from > seg.size {
			return fmt.Errorf("%w: the marker points past the end of %s", ErrCorrupt, segName(n))
		}
		if err := s.scan(seg, from, i == len(keep)-1); err != nil {
			return err
		}
	}
	return nil
}

// segments lists the segment numbers in the directory, in order.
func (s *Spool) segments() ([]uint64, error) {
	entries, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var nums []uint64
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(base, 10, 64); err == nil {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	return nums, nil
}

// scan checks the records of seg from off on and counts them pending. In
// the last segment a torn or damaged last record is cut off.
func (s *Spool) scan(seg *segment, off int64, last bool) error {
	for off < seg.size {
		_, next, err := readRecord(seg.f, off, seg.size)
		switch {
		case err == nil:
			s.pending++
			s.bytes += next - off
			off = next
			continue
		case last && (errors.Is(err, errTorn) || (errors.Is(err, errBadChecksum) && next == seg.size)):
			s.log.Warn("spool: a torn or damaged last record was cut off; it had not been acknowledged",
				"segment", segName(seg.n), "offset", off, "bytes", seg.size-off, "reason", err.Error())
			if err := seg.f.Truncate(off); err != nil {
				return err
			}
			if err := seg.f.Sync(); err != nil {
				return err
			}
			seg.size = off
			return nil
		case errors.Is(err, errTorn) || errors.Is(err, errBadChecksum):
			return fmt.Errorf("%w: record at byte %d of %s: %v", ErrCorrupt, off, segName(seg.n), err)
		default:
			return err
		}
	}
	return nil
}

// createSegment creates an empty segment file durably. A file of that
// number left by a rotation that failed half-way holds nothing: appends
// go only to segments the spool has switched to.
func (s *Spool) createSegment(n uint64) error {
	f, err := s.fs.OpenFile(filepath.Join(s.dir, segName(n)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return s.fs.SyncDir(s.dir)
}

// Append adds a record and returns once it is durable (written and
// fsynced). On error nothing was added. Errors are EUNAVAILABLE: wrapping
// ErrFull past Options.MaxBytes, ErrClosed after Close, or the file
// system's error; a payload over MaxRecord is ETOOLARGE.
func (s *Spool) Append(payload []byte) error {
	if len(payload) > MaxRecord {
		return mimo.Errorf(mimo.ETOOLARGE, "spool: a record is at most %d bytes", MaxRecord)
	}
	rec := encode(payload)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return mimo.Wrap(mimo.EUNAVAILABLE, ErrClosed, "the write spool is closed")
	case s.broken != nil:
		return mimo.Wrap(mimo.EUNAVAILABLE, s.broken, "the write spool cannot be written")
	case s.bytes+int64(len(rec)) > s.max:
		return mimo.Wrap(mimo.EUNAVAILABLE, ErrFull,
			fmt.Sprintf("spool full: %d bytes of writes wait for the database (limit %d, MIMO_SPOOL_MAX)", s.bytes, s.max))
	}
	seg := s.segs[len(s.segs)-1]
	if _, err := seg.f.WriteAt(rec, seg.size); err != nil {
		s.rollback(seg)
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "the write spool cannot be written")
	}
	if err := seg.f.Sync(); err != nil {
		// After a failed fsync the page cache may not match the disk:
		// the record is cut off and the write refused, never half-kept.
		s.rollback(seg)
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "the write spool cannot be made durable")
	}
	seg.size += int64(len(rec))
	s.pending++
	s.bytes += int64(len(rec))
	return nil
}

// rollback cuts off whatever a failed Append left past the segment's end.
// If even that fails the spool refuses further appends, since one after
// garbage would look like damage in the middle. s.mu is held.
func (s *Spool) rollback(seg *segment) {
	err := seg.f.Truncate(seg.size)
	if err == nil {
		err = seg.f.Sync()
	}
	if err != nil {
		s.broken = err
		s.log.Error("spool: a failed write could not be cut off; refusing further writes until restart", "err", err)
	}
}

// Pending returns the number of records not yet applied.
func (s *Spool) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Bytes returns the bytes of records not yet applied, framing included.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Dir returns the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Close releases the spool's files and its lock. Records not yet applied
// stay on disk for the next Open.
func (s *Spool) Close() error {
	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.closeFiles()
	return nil
}

func (s *Spool) closeFiles() {
	for _, seg := range s.segs {
		seg.f.Close()
	}
	if s.mark != nil {
		s.mark.close()
	}
	if s.lock != nil {
		s.lock.Close()
	}
}

// Replay calls apply with each record not yet applied, oldest first,
// and marks it applied (durably) once apply returns nil. It stops at the
// first error, leaving that record pending, and returns how many records
// it applied. Records appended while it runs are replayed too; once none
// is left the spool rotates to an empty segment.
//
// apply must be idempotent: a record whose marking failed, or which was
// being marked when the process died, is applied again by the next
// Replay.
func (s *Spool) Replay(ctx context.Context, apply func(ctx context.Context, payload []byte) error) (int, error) {
	return s.ReplayBatch(ctx, 1, func(ctx context.Context, payloads [][]byte) (int, error) {
		if err := apply(ctx, payloads[0]); err != nil {
			return 0, err
		}
		return 1, nil
	})
}

// MaxBatchBytes bounds the payloads ReplayBatch hands apply at once
// (beyond its first record, which goes whatever its size).
const MaxBatchBytes = 4 << 20

// ReplayBatch is Replay a batch at a time, so the marker is written (and
// fsynced) once per batch rather than once per record: apply is given up
// to most consecutive records not yet applied, oldest first (fewer at the
// end of a segment or past MaxBatchBytes, at least one), and returns how
// many of them, from the first, it applied; those are marked applied with
// one durable marker write, and the next call starts after them. It stops
// at apply's error, after marking what apply reports applied, and returns
// how many records it applied in all. apply must report at least one
// record applied when it returns no error.
//
// apply must be idempotent over a whole batch: after a crash, or a failed
// marker write, the records of the batch it reported applied but that
// were not marked yet are all given to it again.
func (s *Spool) ReplayBatch(ctx context.Context, most int, apply func(ctx context.Context, payloads [][]byte) (int, error)) (int, error) {
	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	most = max(most, 1)
	applied := 0
	for {
		if err := ctx.Err(); err != nil {
			return applied, err
		}
		seg, at, size, err := s.next()
		if err != nil || seg == nil {
			return applied, err
		}
		var payloads [][]byte
		var ends []int64
		var batchBytes int
		for off := at.off; len(payloads) < most && off < size && batchBytes < MaxBatchBytes; {
			payload, end, err := readRecord(seg.f, off, size)
			if err != nil {
				if len(payloads) > 0 {
					break // apply those before it; the next call reports it
				}
				return applied, fmt.Errorf("%w: record at byte %d of %s: %v", ErrCorrupt, off, segName(seg.n), err)
			}
			payloads, ends = append(payloads, payload), append(ends, end)
			batchBytes += len(payload)
			off = end
		}
		n, err := apply(ctx, payloads)
		if n > len(payloads) || (n <= 0 && err == nil) {
			return applied, fmt.Errorf("spool: apply reported %d of %d records applied", n, len(payloads))
		}
		if n > 0 {
			end := ends[n-1]
			if merr := s.advance(position{seg: at.seg, off: end}, n, end-at.off); merr != nil {
				return applied, merr
			}
			applied += n
		}
		if err != nil {
			return applied, err
		}
	}
}

// next returns the segment and position of the next record to apply and
// the segment's size then, or a nil segment when none is left (after
// rotating).
func (s *Spool) next() (*segment, position, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, position{}, 0, mimo.Wrap(mimo.EUNAVAILABLE, ErrClosed, "the write spool is closed")
	}
	for i, seg := range s.segs {
		if seg.n != s.applied.seg {
			continue
		}
		if s.applied.off < seg.size {
			return seg, s.applied, seg.size, nil
		}
		if i+1 < len(s.segs) {
			s.applied = position{seg: s.segs[i+1].n}
			return s.next0(i + 1)
		}
	}
	s.rotate()
	return nil, position{}, 0, nil
}

// next0 is next from segment i on; s.mu is held.
func (s *Spool) next0(i int) (*segment, position, int64, error) {
	for ; i < len(s.segs); i++ {
		seg := s.segs[i]
		s.applied = position{seg: seg.n}
		if seg.size > 0 {
			return seg, s.applied, seg.size, nil
		}
	}
	s.rotate()
	return nil, position{}, 0, nil
}

// advance marks everything before p applied: records records of n bytes.
func (s *Spool) advance(p position, records int, n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return mimo.Wrap(mimo.EUNAVAILABLE, ErrClosed, "the write spool is closed")
	}
	if err := s.mark.set(p); err != nil {
		return mimo.Wrap(mimo.EUNAVAILABLE, err, "the write spool's marker cannot be written")
	}
	s.applied = p
	s.pending -= records
	s.bytes -= n
	return nil
}

// rotate starts an empty segment once every record is applied, and
// deletes the old ones. Each step is durable before the next, so a crash
// anywhere leaves either the old segments with the marker at their end,
// or the new segment with the marker at its start. A failure leaves the
// spool as it was, which is correct, only larger. s.mu is held.
func (s *Spool) rotate() {
	last := s.segs[len(s.segs)-1]
	if len(s.segs) == 1 && last.size == 0 {
		return
	}
	n := last.n + 1
	if err := s.createSegment(n); err != nil {
		s.log.Warn("spool: cannot start a new segment; keeping the applied one", "err", err)
		return
	}
	f, err := s.fs.OpenFile(filepath.Join(s.dir, segName(n)), os.O_RDWR, 0o600)
	if err != nil {
		s.log.Warn("spool: cannot open the new segment", "err", err)
		return
	}
	at := position{seg: n}
	if err := s.mark.reset(at); err != nil {
		f.Close()
		s.log.Warn("spool: cannot move the marker to the new segment", "err", err)
		return
	}
	old := s.segs
	s.segs = []*segment{{n: n, f: f}}
	s.applied = at
	for _, seg := range old {
		seg.f.Close()
		if err := s.fs.Remove(filepath.Join(s.dir, segName(seg.n))); err != nil {
			s.log.Warn("spool: cannot remove an applied segment; it is removed at the next start", "err", err)
		}
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		s.log.Warn("spool: cannot sync the directory after rotation", "err", err)
	}
}
