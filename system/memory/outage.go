package memory

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"mimo/system"
	"mimo/system/breaker"
	"mimo/system/spool"
)

// DefaultDrainInterval is how often the drainer looks at a spool that is
// not empty when Options.DrainInterval is zero.
const DefaultDrainInterval = time.Second

// outage is the part of the service that keeps it serving while the
// database fails: the db circuit around every store call, the read cache
// that answers reads meanwhile, and the spool that takes writes, with the
// drainer that replays them once the database answers again.
//
// Order: once one write is queued, every later write is queued too until
// the spool has drained, so writes reach the database in the order they
// were acknowledged, and reads of a memory with a queued write come from
// the cache, which holds what the database will.
type outage struct {
	raw        mimo.Store // the store without the circuit, for /health
	db         *breaker.Breaker
	cache      *readCache
	spool      *spool.Spool
	drainEvery time.Duration

	// queuedMu guards queued: for each memory, how many of its queued
	// writes are not applied yet; its cache entry stays pending until
	// none is.
	queuedMu sync.Mutex
	queued   map[cacheKey]int

	// replayFailing is set while replays keep stopping on an error, so
	// that only the first of them is warned of.
	replayFailing atomic.Bool
}

// initOutage wraps the store in the db circuit and starts the drainer.
// New calls it once its defaults are set.
func (s *Service) initOutage(o Options) {
	s.raw = o.Store
	s.db = breaker.New(breaker.Options{Name: "db", Failures: o.BreakerFailures, Reset: o.BreakerReset, Metrics: s.metrics, Now: s.now})
	s.store = &guardedStore{Store: o.Store, b: s.db}
	size := o.ReadCacheBytes
	if size == 0 {
		size = DefaultReadCacheBytes
	}
	s.cache = newReadCache(size)
	s.spool = o.Spool
	s.queued = map[cacheKey]int{}
	s.drainEvery = o.DrainInterval
	if s.drainEvery <= 0 {
		s.drainEvery = DefaultDrainInterval
	}
	s.spoolGauge()
	s.wg.Add(1)
	go s.drainLoop()
}

// dbOpen reports whether the db circuit is open: store calls would be
// refused without reaching the database.
func (s *Service) dbOpen() bool { return s.db.State() == breaker.Open }

// dbClosed reports whether the db circuit is closed: calls are trusted to
// the database. Half-open, its one probe decides that first.
func (s *Service) dbClosed() bool { return s.db.State() == breaker.Closed }

// queueWrites reports whether a write must go to the spool without trying
// the database: the circuit is not closed, or earlier writes are still
// queued (a write applied now would overtake them). Half-open counts as
// not closed: the probe is the drainer's, so a write never becomes the
// probe itself, nor waits behind it, on a database not known to answer;
// it is answered 202 at once and applied once the probe succeeds.
func (s *Service) queueWrites() bool {
	return s.spool != nil && (s.spool.Pending() > 0 || !s.dbClosed())
}

// unavailable reports whether err says the database could not be reached
// (or its circuit is open) while the caller is still waiting: a fallback
// then serves the call. A caller that went away gets its error.
func unavailable(ctx context.Context, err error) bool {
	return err != nil && mimo.ErrorCode(err) == mimo.EUNAVAILABLE && ctx.Err() == nil
}

// queueable reports whether a write that failed with err goes to the
// spool instead.
func (s *Service) queueable(ctx context.Context, err error) bool {
	return s.spool != nil && unavailable(ctx, err)
}

func (s *Service) spoolGauge() {
	if s.spool != nil {
		s.metrics.SpoolPending.Set(float64(s.spool.Pending()))
	}
}

// spoolStats is the spool's backlog for /health.
func (s *Service) spoolStats() mimo.SpoolStats {
	if s.spool == nil {
		return mimo.SpoolStats{}
	}
	return mimo.SpoolStats{Pending: s.spool.Pending(), Bytes: s.spool.Bytes()}
}

// Drain replays the spool if the database answers: a ping through the db
// circuit first (while the circuit is open it is refused without reaching
// the database; once half-open it is the one probe), then every queued
// write in order. It returns how many writes it applied; an error means
// the database failed again and the rest stay queued. With nothing queued
// it only probes a circuit that is not closed, so the circuit closes once
// the database is back even when no request comes. The drainer calls it
// every Options.DrainInterval while there is either to do; call it at
// start-up to apply what an earlier process queued before serving.
func (s *Service) Drain(ctx context.Context) (int, error) {
	pending := s.spool != nil && s.spool.Pending() > 0
	if !pending && s.db.State() == breaker.Closed {
		return 0, nil
	}
	if err := s.store.Ping(ctx); err != nil || !pending {
		return 0, err
	}
	// The gauge follows the replay batch by batch, as /health does: a
	// long replay after an outage is watched on it.
	n, err := s.spool.ReplayBatch(ctx, replayRecords, func(ctx context.Context, payloads [][]byte) (int, error) {
		s.spoolGauge()
		return s.applyRecords(ctx, payloads)
	})
	s.spoolGauge()
	if n > 0 {
		s.syncIndex(ctx)
		s.log.Info("queued writes applied to the database", "applied", n, "pending", s.spool.Pending())
	}
	if err != nil {
		// A database that answers pings but refuses writes (read-only, a
		// full disk) fails every replay, once a second: the first failure
		// of a run is the warning, the rest are detail.
		level := slog.LevelWarn
		if s.replayFailing.Swap(true) {
			level = slog.LevelDebug
		}
		s.log.Log(ctx, level, "replaying queued writes stopped; the rest stay queued", "applied", n, "pending", s.spool.Pending(), "err", err)
	} else {
		s.replayFailing.Store(false)
	}
	return n, err
}

// drainLoop runs Drain at start and every drainEvery: Drain itself
// returns at once when there is nothing to do.
func (s *Service) drainLoop() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.done
		cancel()
	}()
	// What an earlier process queued is applied as soon as the database
	// answers, not a tick later.
	_, _ = s.Drain(ctx)
	tick := time.NewTicker(s.drainEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
			_, _ = s.Drain(ctx)
		}
	}
}

// dbHealth is /health's db component. While the db circuit is open the
// database is not pinged at all: the circuit already says it failed, and
// a health check polled by every load balancer and monitor must not add
// load, or a ping's timeout, to a database that is struggling; the
// drainer's probe, once the circuit half-opens, is what finds it back.
// Otherwise the ping bypasses the circuit: a health check must neither
// open it nor take its half-open probe. With a spool the service still
// takes writes while the database is down, so it is degraded, not down.
func (s *Service) dbHealth(ctx context.Context, h *mimo.Health) bool {
	h.Spool = s.spoolStats()
	state := s.db.State()
	db := mimo.Component{Status: mimo.StatusOK, Circuit: state.String()}
	up := true
	var err error
	if state == breaker.Open {
		err = errCircuitOpen
	} else {
		err = s.raw.Ping(ctx)
	}
	if err != nil {
		up = false
		db.Status = mimo.StatusDown
		db.Error = mimo.ErrorMessage(err)
		h.Status = mimo.StatusDown
		if s.spool != nil {
			h.Status = mimo.StatusDegraded
			db.Error += "; reads come from the read cache, writes are queued"
		}
	} else if db.Circuit != breaker.Closed.String() || h.Spool.Pending > 0 {
		db.Status = mimo.StatusDegraded
		db.Error = "recovering: the circuit is not closed yet or queued writes are being applied"
		h.Status = mimo.StatusDegraded
	}
	h.Components["db"] = db
	return up
}

// Ready reports whether the database can be reached: nil if a ping
// answers. While the db circuit is open it answers from the circuit without
// a ping (errCircuitOpen, EUNAVAILABLE): the breaker keeps calls off a
// failing database, a readiness probe's every few seconds included, and a
// probe of an unreachable host would wait out its timeout each time.
func (s *Service) Ready(ctx context.Context) error {
	if s.dbOpen() {
		return errCircuitOpen
	}
	return s.raw.Ping(ctx)
}

// errCircuitOpen is /health's db error while the db circuit is open.
var errCircuitOpen = mimo.Errorf(mimo.EUNAVAILABLE, "the db circuit is open after repeated failures; the database is checked again when it half-opens")

// served records a read answered from the read cache.
func (s *Service) served(ctx context.Context, what string, cause error) {
	level := slog.LevelWarn
	if cause == nil || s.dbOpen() {
		level = slog.LevelDebug // the circuit's opening was warned of once
	}
	s.fallback(ctx, level, "db", "read_cache", what+" served from the read cache: the database is unavailable", "err", cause)
	mimo.OutcomeOf(ctx).Degrade(mimo.ReasonDBUnavailable)
}
