package spool

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A record on disk is an 8-byte header, the payload's length and the
// CRC-32C of the length and the payload, both little-endian, then the
// payload. The checksum covers the length too, so a damaged header is
// caught like a damaged payload.
const headerSize = 8

// MaxRecord is the largest payload Append takes: a batch of a thousand
// memories of 64 KiB with their vectors fits.
const MaxRecord = 128 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encode returns payload framed as a record.
func encode(payload []byte) []byte {
	b := make([]byte, headerSize+len(payload))
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(payload)))
	copy(b[headerSize:], payload)
	binary.LittleEndian.PutUint32(b[4:8], checksum(b[0:4], payload))
	return b
}

func checksum(length, payload []byte) uint32 {
	c := crc32.Update(0, castagnoli, length)
	return crc32.Update(c, castagnoli, payload)
}

// errTorn marks a record that runs past the end of its file: a write cut
// off by a crash.
var errTorn = errors.New("record runs past the end of the file")

// errBadChecksum marks a complete record whose checksum does not match.
var errBadChecksum = errors.New("record checksum mismatch")

// readRecord reads the record at off of a file of the given size and
// returns its payload and the offset of the next record.
func readRecord(f File, off, size int64) ([]byte, int64, error) {
	if size-off < headerSize {
		return nil, 0, errTorn
	}
	var h [headerSize]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return nil, 0, err
	}
	n := int64(binary.LittleEndian.Uint32(h[0:4]))
	end := off + headerSize + n
	if n > MaxRecord || end > size {
		return nil, 0, errTorn
	}
	payload := make([]byte, n)
	if _, err := f.ReadAt(payload, off+headerSize); err != nil {
		return nil, 0, err
	}
	if checksum(h[0:4], payload) != binary.LittleEndian.Uint32(h[4:8]) {
		return nil, end, errBadChecksum
	}
	return payload, end, nil
}
