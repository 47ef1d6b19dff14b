package memorykit

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"mimo/system"
)

// ListLimit applies the paging rules of ListMemories: 0 or less means
// mimo.DefaultListLimit, more than mimo.MaxListLimit is cut to it.
func ListLimit(limit int) int {
	return Limit(limit, mimo.DefaultListLimit, mimo.MaxListLimit)
}

// Limit applies a paging rule: 0 or less means def, more than most is most.
func Limit(limit, def, most int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, most)
}

// A list cursor is the position of the last memory of a page (its
// CreatedAt in Unix microseconds and its ID) after a version prefix,
// base64url-encoded so clients treat it as opaque. Lists are ordered by
// CreatedAt, then ID, both descending; the next page starts after it.
const cursorPrefix = "c1:"

// EncodeCursor returns the cursor of the page that ends with the memory
// created at created with the given ID.
func EncodeCursor(created time.Time, id string) string {
	raw := cursorPrefix + strconv.FormatInt(created.UnixMicro(), 10) + ":" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// badCursor is the error of a cursor EncodeCursor did not make.
func badCursor() error {
	return mimo.Errorf(mimo.EINVALID, "cursor: not a cursor from a previous page")
}

// DecodeCursor returns the position a cursor holds, in UTC. A cursor
// EncodeCursor did not make is EINVALID.
func DecodeCursor(c string) (created time.Time, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", badCursor()
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return time.Time{}, "", badCursor()
	}
	micros, id, ok := strings.Cut(rest, ":")
	if !ok || id == "" || CheckText("cursor", id) != nil {
		return time.Time{}, "", badCursor()
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return time.Time{}, "", badCursor()
	}
	return time.UnixMicro(us).UTC(), id, nil
}
