package httpapi

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per client. A bucket left alone long
// enough to refill completely is indistinguishable from a new one, so it is
// dropped then; the map holds only clients seen recently, however many
// come and go.
type limiter struct {
	rps   rate.Limit
	burst int
	now   func() time.Time
	// idle is how long a bucket takes to refill from empty, and so how
	// long it is kept unused.
	idle time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// minIdle keeps buckets at least this long, so that a very fast refill
// does not make the sweep run on nearly every request.
const minIdle = time.Minute

func newLimiter(rps float64, burst int, now func() time.Time) *limiter {
	idle := time.Duration(float64(burst) / rps * float64(time.Second))
	if idle < minIdle || rps <= 0 {
		idle = minIdle
	}
	return &limiter{
		rps:       rate.Limit(rps),
		burst:     burst,
		now:       now,
		idle:      idle,
		buckets:   make(map[string]*bucket),
		lastSweep: now(),
	}
}

// allow takes one token from client's bucket. When none is left it returns
// false and the whole seconds, at least 1, until one will be.
func (l *limiter) allow(client string) (ok bool, retryAfter int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()

	if now.Sub(l.lastSweep) >= l.idle {
		l.sweep(now)
	}
	b := l.buckets[client]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rps, l.burst)}
		l.buckets[client] = b
	}
	b.seen = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	// A reservation tells when the next token comes; cancel it so that
	// asking does not spend the token.
	res := b.lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	if !res.OK() || wait == rate.InfDuration {
		return false, math.MaxInt32
	}
	return false, max(1, int(math.Ceil(wait.Seconds())))
}

// sweep drops the buckets unused for l.idle. l.mu is held.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= l.idle {
			delete(l.buckets, k)
		}
	}
	l.lastSweep = now
}

// size is the number of buckets held, for tests of eviction.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
