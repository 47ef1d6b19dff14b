package index

import (
	"context"
	"log/slog"
	"sync/atomic"

	mimo "mimo/system"
)

// DefaultPageSize is how many change-log entries a Follower reads a round
// trip when FollowerOptions.PageSize is zero.
const DefaultPageSize = 2000

// FollowerOptions configures NewFollower. Store and Index are required.
type FollowerOptions struct {
	Store mimo.Store
	Index *Index
	// Text, when set, is kept in step with the same change log as Index:
	// every memory is indexed by its words, whatever its vector (a memory
	// waiting for its embedding is still found by its words). Nil means
	// no text index.
	Text *Text
	// Logger receives a line per Load, a debug line per Sync that applied
	// changes, and warnings for entries that cannot be indexed; nil
	// discards them.
	Logger *slog.Logger
	// Model, when set, is the only embedding model whose vectors are
	// indexed; a memory embedded by another model is kept out of the index
	// (and removed from it), since its vectors cannot be compared with the
	// queries. "" accepts any model.
	Model string
	// PageSize is how many entries one Changes call reads; zero or negative
	// means DefaultPageSize.
	PageSize int
}

// Follower keeps an Index, and a Text index when it has one, in step with
// a Store's change log. Every process sharing a store has its own indexes
// and its own follower; each mutation, by any process, reaches every index
// through the log.
//
// Load reads the log from the start; Sync reads what was added since. Both
// are safe for concurrent use: one round of reading runs at a time, and a
// Sync that arrives while a round is running waits for the next round and
// shares it with every other Sync that arrived meanwhile, so a burst of
// callers costs at most two round trips, and each caller sees every change
// committed before it called.
type Follower struct {
	store    mimo.Store
	index    *Index
	text     *Text
	log      *slog.Logger
	model    string
	pageSize int

	sem     chan struct{} // holds one token while a round runs
	started atomic.Int64  // rounds started
	done    atomic.Int64  // the latest round that ended without error
	seq     atomic.Int64  // highest Seq applied by a round
	loaded  atomic.Bool

	arrived func() // test hook: a Sync has taken its ticket
}

// NewFollower returns a follower that has applied nothing yet.
func NewFollower(o FollowerOptions) *Follower {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	return &Follower{
		store:    o.Store,
		index:    o.Index,
		text:     o.Text,
		log:      o.Logger,
		model:    o.Model,
		pageSize: o.PageSize,
		sem:      make(chan struct{}, 1),
	}
}

// Seq returns the highest change-log Seq applied by Load or Sync (0 before
// any).
func (f *Follower) Seq() int64 { return f.seq.Load() }

// Loaded reports whether a Load has completed: from then on the indexes
// hold every memory of the store (as of the last Sync).
func (f *Follower) Loaded() bool { return f.loaded.Load() }

// Text returns the text index the follower keeps in step, nil when none
// (FollowerOptions.Text). Before Loaded it holds only part of the store.
func (f *Follower) Text() *Text { return f.text }

// Load reads the whole change log from its start, a page at a time, and
// applies it. Applying is idempotent, so Load may run again at any time to
// rebuild the index's view. Errors are the store's (EUNAVAILABLE when it
// cannot be reached), or EUNAVAILABLE when ctx ends first; the entries
// applied before an error stay applied, and Seq says how far Load got.
func (f *Follower) Load(ctx context.Context) error {
	if err := f.acquire(ctx); err != nil {
		return err
	}
	defer f.release()
	round := f.started.Add(1)
	applied, err := f.catchUp(ctx, 0)
	if err != nil {
		return err
	}
	f.done.Store(round)
	f.loaded.Store(true)
	f.log.Info("vector index loaded from the change log", "changes", applied, "seq", f.seq.Load(), "entries", f.index.Len(), "text_documents", f.textLen())
	return nil
}

// Sync applies the changes after Seq(). Its errors are Load's.
func (f *Follower) Sync(ctx context.Context) error {
	ticket := f.started.Load()
	if f.arrived != nil {
		f.arrived()
	}
	if err := f.acquire(ctx); err != nil {
		return err
	}
	defer f.release()
	// A round that started after this call (numbered above its ticket) and
	// succeeded has read every change committed before it: nothing is left
	// for this call to do. A round numbered ticket may have started before
	// the call, so it does not count.
	if f.done.Load() > ticket {
		return nil
	}
	round := f.started.Add(1)
	applied, err := f.catchUp(ctx, f.seq.Load())
	if err != nil {
		return err
	}
	f.done.Store(round)
	if applied > 0 {
		f.log.Debug("vector index caught up with the change log", "changes", applied, "seq", f.seq.Load(), "entries", f.index.Len(), "text_documents", f.textLen())
	}
	return nil
}

// textLen is the text index's size for the log, -1 without one.
func (f *Follower) textLen() int {
	if f.text == nil {
		return -1
	}
	return f.text.Len()
}

func (f *Follower) acquire(ctx context.Context) error {
	select {
	case f.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return mimo.Wrap(mimo.EUNAVAILABLE, ctx.Err(), "index: waiting to read the change log")
	}
}

func (f *Follower) release() { <-f.sem }

// catchUp reads and applies the change log after seq until a page comes
// back short, and returns how many changes it applied.
func (f *Follower) catchUp(ctx context.Context, after int64) (int, error) {
	applied := 0
	for {
		page, err := f.store.Changes(ctx, after, f.pageSize)
		if err != nil {
			code := mimo.ErrorCode(err)
			if ctx.Err() != nil {
				code = mimo.EUNAVAILABLE
			}
			return applied, mimo.Wrap(code, err, "index: reading the change log")
		}
		for i, c := range page {
			if c.Seq <= after || i > 0 && c.Seq <= page[i-1].Seq {
				return applied, mimo.Errorf(mimo.EINTERNAL, "index: change log out of order: seq %d after %d", c.Seq, after)
			}
		}
		if len(page) == 0 {
			break
		}
		f.Apply(page)
		applied += len(page)
		after = page[len(page)-1].Seq
		f.seq.Store(after)
		if len(page) < f.pageSize {
			break
		}
	}
	return applied, nil
}

// Apply applies changes to the indexes, in order: an upsert indexes the
// memory's vector, and a delete, an upsert whose memory is gone (nil), or
// an upsert of a memory without a usable vector (none, another model's, or
// another dimension) removes the memory from the vector index. In the text
// index an upsert indexes the memory's words, whatever its vector, and a
// delete or an upsert of a memory that is gone removes them. Applying the
// same changes again changes nothing. Apply does not move Seq: a process
// may apply its own writes at once, and the log brings them again later.
func (f *Follower) Apply(changes []mimo.Change) {
	for i := range changes {
		f.apply(&changes[i])
	}
}

func (f *Follower) apply(c *mimo.Change) {
	ns, id := c.Namespace, c.ID
	if m := c.Memory; m != nil {
		if ns == "" {
			ns = m.Namespace
		}
		if id == "" {
			id = m.ID
		}
	}
	switch {
	case c.Op == mimo.OpDelete || c.Op == mimo.OpUpsert && c.Memory == nil:
		f.index.Delete(ns, id)
		if f.text != nil {
			f.text.Delete(ns, id)
		}
	case c.Op == mimo.OpUpsert:
		if f.text != nil {
			d, _ := TextDocFromMemory(c.Memory)
			d.Namespace, d.ID = ns, id
			if err := f.text.Upsert(d); err != nil {
				f.log.Warn("memory left out of the text index", "namespace", ns, "id", id, "seq", c.Seq, "err", err)
			}
		}
		e, ok := EntryFromMemory(c.Memory)
		if !ok || len(e.Vector) != f.index.Dim() || f.model != "" && c.Memory.Embedding.Model != f.model {
			f.index.Delete(ns, id)
			return
		}
		e.Namespace, e.ID = ns, id
		if err := f.index.Upsert(e); err != nil {
			f.log.Warn("memory left out of the vector index", "namespace", ns, "id", id, "seq", c.Seq, "err", err)
			f.index.Delete(ns, id)
		}
	default:
		f.log.Warn("unknown change-log operation skipped", "op", c.Op, "seq", c.Seq)
	}
}
