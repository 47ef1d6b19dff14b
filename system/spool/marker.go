package spool

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// position is a place in the spool: a segment's number and a byte offset
// in it.
type position struct {
	seg uint64
	off int64
}

// The marker file says how far the spool has been applied: a log of
// fixed-size entries (segment, offset, CRC-32C of the two), the last
// whole one in force. Appending an entry and fsyncing it is one write and
// one fsync a record; a torn last entry leaves the one before in force,
// which is the position before the record being marked, never after.
const (
	markerName      = "applied"
	markerEntrySize = 20
)

type marker struct {
	fs   FS
	dir  string
	f    File
	size int64
}

func encodeMark(p position) []byte {
	b := make([]byte, markerEntrySize)
	binary.LittleEndian.PutUint64(b[0:8], p.seg)
	binary.LittleEndian.PutUint64(b[8:16], uint64(p.off))
	binary.LittleEndian.PutUint32(b[16:20], crc32.Checksum(b[0:16], castagnoli))
	return b
}

// openMarker opens (or creates) the marker and returns the position in
// force; the zero position when none was ever written. A torn last entry
// is cut off; a bad entry before the last is corruption.
func openMarker(fsys FS, dir string) (*marker, position, int64, error) {
	name := filepath.Join(dir, markerName)
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, position{}, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, position{}, 0, err
	}
	size := st.Size()
	var p position
	var off int64
	for ; off+markerEntrySize <= size; off += markerEntrySize {
		b := make([]byte, markerEntrySize)
		if _, err := f.ReadAt(b, off); err != nil {
			f.Close()
			return nil, position{}, 0, err
		}
		if crc32.Checksum(b[0:16], castagnoli) != binary.LittleEndian.Uint32(b[16:20]) {
			if off+markerEntrySize == size {
				break // the last entry was torn by a crash
			}
			f.Close()
			return nil, position{}, 0, fmt.Errorf("%w: marker entry at byte %d of %s", ErrCorrupt, off, name)
		}
		p = position{seg: binary.LittleEndian.Uint64(b[0:8]), off: int64(binary.LittleEndian.Uint64(b[8:16]))}
	}
	cut := size - off
	if cut > 0 {
		if err := f.Truncate(off); err != nil {
			f.Close()
			return nil, position{}, 0, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, position{}, 0, err
		}
	}
	return &marker{fs: fsys, dir: dir, f: f, size: off}, p, cut, nil
}

// set records p durably: when it returns nil, a crash resumes at p.
func (m *marker) set(p position) error {
	if _, err := m.f.WriteAt(encodeMark(p), m.size); err != nil {
		// A partial entry is cut off when the marker is next opened.
		return err
	}
	if err := m.f.Sync(); err != nil {
		return err
	}
	m.size += markerEntrySize
	return nil
}

// reset replaces the marker by one entry p, atomically (write a new file,
// fsync, rename over the old, fsync the directory), so the marker does
// not grow without bound.
func (m *marker) reset(p position) error {
	name := filepath.Join(m.dir, markerName)
	tmp := name + ".tmp"
	f, err := m.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(encodeMark(p), 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := m.fs.Rename(tmp, name); err != nil {
		f.Close()
		return err
	}
	// The rename is the commit: from here the new marker may be the one
	// on disk, so the caller must switch to it. A failed directory sync
	// only leaves it unknown whether a crash finds the old marker or the
	// new one, and the spool resumes correctly from either.
	_ = m.fs.SyncDir(m.dir)
	m.f.Close()
	m.f, m.size = f, markerEntrySize
	return nil
}

func (m *marker) close() error { return m.f.Close() }
