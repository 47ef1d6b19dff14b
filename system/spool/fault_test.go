package spool

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
)

// errInjected is the failure faultFS injects.
var errInjected = errors.New("injected failure")

// faultFS is the OS file system with a failure injected at one named
// step, for the files whose base name has the given prefix:
//
//	write.before   the write fails, nothing written
//	write.partial  half the bytes are written, then it fails
//	write.after    everything is written, then it fails
//	sync.before    fsync fails without syncing
//	sync.after     fsync syncs, then fails
//	rename, syncdir, truncate, open
type faultFS struct {
	OSFS
	mu     sync.Mutex
	faults map[string]*fault
}

type fault struct {
	prefix string
	times  int // failures left; <0 means every time
}

// inject makes step fail times times (negative: until cleared) for files
// whose base name starts with prefix.
func (f *faultFS) inject(step, prefix string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.faults == nil {
		f.faults = map[string]*fault{}
	}
	f.faults[step] = &fault{prefix: prefix, times: times}
}

func (f *faultFS) fails(step, name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := f.faults[step]
	if ft == nil || ft.times == 0 {
		return false
	}
	if base := filepath.Base(name); len(base) < len(ft.prefix) || base[:len(ft.prefix)] != ft.prefix {
		return false
	}
	if ft.times > 0 {
		ft.times--
	}
	return true
}

func (f *faultFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if f.fails("open", name) {
		return nil, errInjected
	}
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if f.fails("rename", newpath) {
		return errInjected
	}
	return f.OSFS.Rename(oldpath, newpath)
}

func (f *faultFS) SyncDir(name string) error {
	if f.fails("syncdir", "") {
		return errInjected
	}
	return f.OSFS.SyncDir(name)
}

type faultFile struct {
	File
	fs   *faultFS
	name string
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	switch {
	case f.fs.fails("write.before", f.name):
		return 0, errInjected
	case f.fs.fails("write.partial", f.name):
		n, _ := f.File.WriteAt(b[:len(b)/2], off)
		return n, errInjected
	case f.fs.fails("write.after", f.name):
		n, _ := f.File.WriteAt(b, off)
		return n, errInjected
	}
	return f.File.WriteAt(b, off)
}

func (f *faultFile) Sync() error {
	switch {
	case f.fs.fails("sync.before", f.name):
		return errInjected
	case f.fs.fails("sync.after", f.name):
		_ = f.File.Sync()
		return errInjected
	}
	return f.File.Sync()
}

func (f *faultFile) Truncate(size int64) error {
	if f.fs.fails("truncate", f.name) {
		return errInjected
	}
	return f.File.Truncate(size)
}
