package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	mimo "mimo/system"
)

// query is a request's parsed query string, checked once: malformed
// escapes, invalid UTF-8 and parameters the route does not take are
// EINVALID, so a misspelt "namspace" never silently reads the default
// namespace.
type query struct {
	values url.Values
}

// parseQuery parses r's query string, allowing only the named parameters.
func parseQuery(r *http.Request, allowed ...string) (query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, mimo.Wrap(mimo.EINVALID, err, "malformed query string")
	}
	for name, vals := range v {
		if !slices.Contains(allowed, name) {
			if len(allowed) == 0 {
				return query{}, mimo.Errorf(mimo.EINVALID, "unknown query parameter %q; this route takes none", name)
			}
			return query{}, mimo.Errorf(mimo.EINVALID, "unknown query parameter %q; this route takes %s",
				name, strings.Join(allowed, ", "))
		}
		for _, s := range vals {
			if !utf8.ValidString(s) {
				return query{}, mimo.Errorf(mimo.EINVALID, "query parameter %q is not valid UTF-8", name)
			}
		}
	}
	return query{values: v}, nil
}

// str returns the single value of name, "" when absent. Giving it twice is
// EINVALID: which one was meant cannot be known.
func (q query) str(name string) (string, error) {
	vals := q.values[name]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	return "", mimo.Errorf(mimo.EINVALID, "query parameter %q is given %d times; give it once", name, len(vals))
}

// list returns the values of name, each split on commas, empty items
// dropped: "a,b" and "a&name=b" are the same.
func (q query) list(name string) []string {
	var out []string
	for _, v := range q.values[name] {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// int returns name as an integer, 0 when absent. Its range is the
// Service's to check.
func (q query) int(name string) (int, error) {
	s, err := q.str(name)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, mimo.Wrap(mimo.EINVALID, err, fmt.Sprintf("query parameter %q must be an integer, not %q", name, s))
	}
	return n, nil
}

// bool returns name as a boolean (true, false, 1, 0, …), false when absent.
func (q query) bool(name string) (bool, error) {
	s, err := q.str(name)
	if err != nil || s == "" {
		return false, err
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, mimo.Wrap(mimo.EINVALID, err, fmt.Sprintf("query parameter %q must be true or false, not %q", name, s))
	}
	return b, nil
}

// time returns name as an RFC 3339 time, the zero time when absent.
func (q query) time(name string) (time.Time, error) {
	s, err := q.str(name)
	if err != nil {
		return time.Time{}, err
	}
	return mimo.ParseTime("query parameter "+strconv.Quote(name), s)
}

// namespace returns the namespace parameter, DefaultNamespace when absent.
func (q query) namespace() (string, error) {
	ns, err := q.str("namespace")
	if err != nil {
		return "", err
	}
	if ns == "" {
		ns = mimo.DefaultNamespace
	}
	return ns, nil
}

// categories converts category names; their validity is the Service's to
// check.
func categories(names []string) []mimo.Category {
	if len(names) == 0 {
		return nil
	}
	out := make([]mimo.Category, len(names))
	for i, n := range names {
		out[i] = mimo.Category(n)
	}
	return out
}
