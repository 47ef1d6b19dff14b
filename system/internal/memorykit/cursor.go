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

// RecentLimit applies the rule of RecentMemories: 0 or less means
// mimo.DefaultListLimit; a larger limit is the caller's to bound (search
// pages through the newest memories past MaxListLimit when no word
// matches), so it is kept.
func RecentLimit(limit int) int {
	if limit <= 0 {
		return mimo.DefaultListLimit
	}
	return limit
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

// Page makes the page of a list that asked the database for limit+1 rows:
// the first limit memories, and a NextCursor after the last of them only
// when the extra row shows that another page follows.
func Page(ms []*mimo.Memory, limit int) *mimo.ListPage {
	page := &mimo.ListPage{Memories: ms}
	if len(ms) > limit {
		page.Memories = ms[:limit]
		last := ms[limit-1]
		page.NextCursor = EncodeCursor(last.CreatedAt, last.ID)
	}
	return page
}

// Rows is what Collect reads: database/sql's and pgx's rows both are.
type Rows interface {
	Next() bool
	Err() error
}

// Collect reads every row with scan, which scans the current row. The
// result is never nil. The caller closes rows.
func Collect(rows Rows, scan func() (*mimo.Memory, error)) ([]*mimo.Memory, error) {
	out := []*mimo.Memory{}
	for rows.Next() {
		m, err := scan()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
