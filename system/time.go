package mimo

import (
	"fmt"
	"time"
)

// ParseTime reads v, an RFC 3339 time from a client, for the filter field
// named field (as the message should name it, such as `field "since"`).
// "" is the zero time (no bound); anything else that is not RFC 3339 is
// EINVALID. Both front doors use it, so they accept the same times.
func ParseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, Wrap(EINVALID, err,
			fmt.Sprintf("%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not %q", field, v))
	}
	return t, nil
}
