package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strconv"
	"strings"

	mimo "mimo/system"
)

// guard puts the API key check and the rate limit in front of next.
//
// With a key configured, a request carrying the right key is limited per
// key; one without it is limited per client IP before it is refused, so
// guessing keys is throttled like any other traffic. Without a key, every
// request is limited per client IP.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := "ip:" + clientIP(r)
		authorized := true
		if s.keyHash != nil {
			authorized = s.authorized(r)
			if authorized {
				// One key is configured, so every holder of it shares
				// one budget.
				client = "key"
			}
		}
		if s.limiter != nil {
			if ok, retry := s.limiter.allow(client); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(retry))
				s.writeError(w, r, mimo.Errorf(mimo.ERATELIMITED,
					"too many requests; retry in %d s", retry))
				return
			}
		}
		if !authorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
			s.writeError(w, r, mimo.Errorf(mimo.EUNAUTHORIZED,
				"missing or wrong API key; send Authorization: Bearer <key>"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized reports whether r carries the API key as a bearer token. The
// digests, not the keys, are compared, in constant time, so neither the
// content nor the length of the key leaks through timing.
func (s *Server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := hashKey(strings.TrimSpace(token))
	return subtle.ConstantTimeCompare(got[:], s.keyHash[:]) == 1
}

func hashKey(k string) [32]byte { return sha256.Sum256([]byte(k)) }

// clientIP is the host part of r.RemoteAddr. Forwarding headers are not
// trusted: any client can set them, and would then pick its own bucket.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
