package memory

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"mimo/system"
	"mimo/system/internal/memorykit"
)

// Kinds of spooled write.
const (
	spoolStore  = "store"
	spoolBatch  = "store_batch"
	spoolUpdate = "update"
	spoolDelete = "delete"
)

// spoolRecord is one queued write as the spool keeps it (JSON). Every
// value is final (ids, timestamps, vectors made before queuing), so that
// applying a record twice changes nothing the second time: a memory
// already stored under its id is left alone, an update sets the same
// values again, and deleting a memory already gone is done.
type spoolRecord struct {
	Op        string          `json:"op"`
	Memories  []spooledMemory `json:"memories,omitempty"`
	Namespace string          `json:"namespace,omitempty"`
	ID        string          `json:"id,omitempty"`
	Update    *spooledUpdate  `json:"update,omitempty"`
}

// spooledMemory is a memory with the fields its JSON form leaves out.
type spooledMemory struct {
	mimo.Memory
	ContentHash string            `json:"content_hash"`
	Embedding   *spooledEmbedding `json:"embedding,omitempty"`
}

type spooledEmbedding struct {
	Vector []float32 `json:"vector"`
	Model  string    `json:"model"`
	Dim    int       `json:"dim"`
}

type spooledUpdate struct {
	Content    *string           `json:"content,omitempty"`
	Category   *mimo.Category    `json:"category,omitempty"`
	Importance *float64          `json:"importance,omitempty"`
	Tags       *[]string         `json:"tags,omitempty"`
	Metadata   *json.RawMessage  `json:"metadata,omitempty"`
	Embedding  *spooledEmbedding `json:"embedding,omitempty"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

func toSpooled(m *mimo.Memory) spooledMemory {
	sm := spooledMemory{Memory: *m, ContentHash: m.ContentHash}
	if len(m.Embedding.Vector) > 0 {
		sm.Embedding = &spooledEmbedding{Vector: m.Embedding.Vector, Model: m.Embedding.Model, Dim: m.Embedding.Dim}
	}
	return sm
}

func (sm spooledMemory) memory() *mimo.Memory {
	m := sm.Memory
	m.ContentHash = sm.ContentHash
	if sm.Embedding != nil {
		m.Embedding = mimo.Embedding{Vector: sm.Embedding.Vector, Model: sm.Embedding.Model, Dim: sm.Embedding.Dim}
	}
	return &m
}

func toSpooledUpdate(u mimo.MemoryUpdate) *spooledUpdate {
	su := &spooledUpdate{Content: u.Content, Category: u.Category, Importance: u.Importance, Tags: u.Tags, Metadata: u.Metadata, UpdatedAt: u.UpdatedAt}
	if u.Embedding != nil {
		su.Embedding = &spooledEmbedding{Vector: u.Embedding.Vector, Model: u.Embedding.Model, Dim: u.Embedding.Dim}
	}
	return su
}

func (su *spooledUpdate) update() mimo.MemoryUpdate {
	u := mimo.MemoryUpdate{Content: su.Content, Category: su.Category, Importance: su.Importance, Tags: su.Tags, Metadata: su.Metadata, UpdatedAt: su.UpdatedAt}
	if su.Embedding != nil {
		u.Embedding = &mimo.Embedding{Vector: su.Embedding.Vector, Model: su.Embedding.Model, Dim: su.Embedding.Dim}
	}
	return u
}

// appendRecord writes r to the spool durably and counts the fallback. Its
// errors are the spool's: EUNAVAILABLE (spool full, disk failing).
func (s *Service) appendRecord(ctx context.Context, r spoolRecord, cause error) error {
	b, err := json.Marshal(r)
	if err != nil {
		return mimo.Wrap(mimo.EINTERNAL, err, "cannot encode a queued write")
	}
	if err := s.spool.Append(b); err != nil {
		s.log.Warn("the database is unavailable and the write spool refused the write", "op", r.Op, "err", err, "cause", cause)
		return err
	}
	s.spoolGauge()
	level := slog.LevelWarn
	if cause == nil {
		level = slog.LevelDebug // queued behind earlier writes or an open circuit, warned of already
	}
	s.fallback(ctx, level, "db", "spooled", "the database is unavailable; the write is queued in the spool", "op", r.Op, "err", cause)
	mimo.OutcomeOf(ctx).Queue()
	return nil
}

func (s *Service) holdQueued(ns, id string) {
	s.queuedMu.Lock()
	defer s.queuedMu.Unlock()
	s.queued[cacheKey{ns, id}]++
}

// releaseQueued counts one queued write of ns/id applied (or dropped);
// its cache entry is settled when none is left.
func (s *Service) releaseQueued(ns, id string) {
	s.queuedMu.Lock()
	k := cacheKey{ns, id}
	n := s.queued[k] - 1
	if n > 0 {
		s.queued[k] = n
		s.queuedMu.Unlock()
		return
	}
	delete(s.queued, k)
	s.queuedMu.Unlock()
	s.cache.settle(ns, id)
}

// queueStores queues new memories, prepared and embedded, and answers as
// if they were stored: they are readable at once from the read cache and
// findable through the vector index.
func (s *Service) queueStores(ctx context.Context, ms []*mimo.Memory, cause error) ([]*mimo.StoreResult, error) {
	r := spoolRecord{Op: spoolStore}
	if len(ms) > 1 {
		r.Op = spoolBatch
	}
	for _, m := range ms {
		r.Memories = append(r.Memories, toSpooled(m))
	}
	if err := s.appendRecord(ctx, r, cause); err != nil {
		return nil, err
	}
	out := make([]*mimo.StoreResult, len(ms))
	for i, m := range ms {
		s.holdQueued(m.Namespace, m.ID)
		s.cache.put(m, true)
		s.indexMemory(m)
		s.decorate(m)
		out[i] = &mimo.StoreResult{Memory: m, Created: true, Queued: true, Status: mimo.StatusQueued}
	}
	return out, nil
}

// queueUpdate queues an update. The answer is the cached memory with the
// update applied, or, when the cache does not hold it, the memory's id,
// namespace and the fields the update sets.
func (s *Service) queueUpdate(ctx context.Context, ns, id string, u mimo.MemoryUpdate, cause error) (*mimo.Memory, error) {
	if err := s.appendRecord(ctx, spoolRecord{Op: spoolUpdate, Namespace: ns, ID: id, Update: toSpooledUpdate(u)}, cause); err != nil {
		return nil, err
	}
	m, _, deleted, found := s.cache.get(ns, id)
	if !found || deleted {
		m = &mimo.Memory{ID: id, Namespace: ns, Tags: []string{}}
	}
	applyUpdate(m, u)
	s.holdQueued(ns, id)
	if found && !deleted {
		s.cache.put(m, true)
		s.indexMemory(m)
	}
	s.decorate(m)
	return m, nil
}

// applyUpdate sets u's fields on m, as the store will.
func applyUpdate(m *mimo.Memory, u mimo.MemoryUpdate) {
	if u.Content != nil {
		m.Content = *u.Content
		m.ContentHash = memorykit.ContentHash(*u.Content)
	}
	if u.Embedding != nil {
		m.Embedding = *u.Embedding
	}
	if u.Category != nil {
		m.Category = *u.Category
	}
	if u.Importance != nil {
		m.Importance = *u.Importance
	}
	if u.Tags != nil {
		m.Tags = append([]string(nil), (*u.Tags)...)
	}
	if u.Metadata != nil {
		m.Metadata = *u.Metadata
	}
	m.UpdatedAt = u.UpdatedAt
}

// queueDelete queues a delete: the memory leaves the index and reads
// find it gone at once.
func (s *Service) queueDelete(ctx context.Context, ns, id string, cause error) error {
	if err := s.appendRecord(ctx, spoolRecord{Op: spoolDelete, Namespace: ns, ID: id}, cause); err != nil {
		return err
	}
	s.holdQueued(ns, id)
	s.cache.tombstone(ns, id)
	s.index.Delete(ns, id)
	return nil
}

// Replay batches: the most records, and memories, one replay step
// applies (and the spool marks) at once.
const (
	replayRecords  = 256
	replayMemories = 500
)

// applyRecords applies the first of the queued writes the spool's replay
// gives it, and with it the run of stores (single or batch) that follows
// it, up to replayMemories memories in all: their memories go to the
// database in one CreateMemories, and the spool marks them applied with
// one marker write, where a record at a time costs a transaction and two
// fsyncs each. It returns how many records it applied.
//
// Only stores are grouped: a store is applied again harmlessly (a memory
// already stored under its id is left alone), so a batch the spool gives
// again after a crash changes nothing. An update or a delete is applied
// alone, as before, so a batch given again never holds one.
func (s *Service) applyRecords(ctx context.Context, payloads [][]byte) (int, error) {
	var ms []*mimo.Memory
	n := 0
	for _, p := range payloads {
		var r spoolRecord
		if json.Unmarshal(p, &r) != nil || (r.Op != spoolStore && r.Op != spoolBatch) ||
			(n > 0 && len(ms)+len(r.Memories) > replayMemories) {
			break
		}
		for _, sm := range r.Memories {
			ms = append(ms, sm.memory())
		}
		n++
	}
	if n == 0 {
		// Not a store (or not decodable, which applyRecord logs): alone.
		if err := s.applyRecord(ctx, payloads[0]); err != nil {
			return 0, err
		}
		return 1, nil
	}
	if err := s.applyCreates(ctx, ms); err != nil {
		return 0, err
	}
	return n, nil
}

// applyRecord applies one queued write: the spool's replay calls it in
// order. EUNAVAILABLE stops the replay (the database failed again; the
// record stays queued). Any other failure means the write can never be
// applied (the memory it updates was deleted meanwhile by another
// process, its new content is another memory's): it is logged as an
// error and dropped, else it would block every write behind it.
func (s *Service) applyRecord(ctx context.Context, payload []byte) error {
	var r spoolRecord
	if err := json.Unmarshal(payload, &r); err != nil {
		s.log.Error("a queued write cannot be decoded; dropping it", "err", err)
		return nil
	}
	var err error
	switch r.Op {
	case spoolStore, spoolBatch:
		ms := make([]*mimo.Memory, len(r.Memories))
		for i, sm := range r.Memories {
			ms[i] = sm.memory()
		}
		return s.applyCreates(ctx, ms)
	case spoolUpdate:
		if r.Update == nil {
			s.log.Error("a queued update has no fields; dropping it", "namespace", r.Namespace, "id", r.ID)
			return nil
		}
		_, err = s.store.UpdateMemory(ctx, r.Namespace, r.ID, r.Update.update())
		if mimo.ErrorCode(err) == mimo.ENOTFOUND {
			s.log.Warn("a queued update's memory no longer exists; nothing to update", "namespace", r.Namespace, "id", r.ID)
			s.cache.forget(r.Namespace, r.ID)
			err = nil
		}
	case spoolDelete:
		err = s.store.DeleteMemory(ctx, r.Namespace, r.ID)
		if mimo.ErrorCode(err) == mimo.ENOTFOUND {
			err = nil // deleted already: by an earlier try of this record, or by another process
		}
	default:
		s.log.Error("a queued write of an unknown kind; dropping it", "op", r.Op)
		return nil
	}
	if mimo.ErrorCode(err) == mimo.EUNAVAILABLE {
		return err
	}
	if err != nil {
		s.log.Error("a queued write cannot be applied; dropping it", "op", r.Op, "namespace", r.Namespace, "id", r.ID, "err", err)
		s.cache.forget(r.Namespace, r.ID)
	}
	s.releaseQueued(r.Namespace, r.ID)
	return nil
}

// applyCreates stores queued memories that are not stored yet.
func (s *Service) applyCreates(ctx context.Context, ms []*mimo.Memory) error {
	byNS := map[string][]string{}
	for _, m := range ms {
		byNS[m.Namespace] = append(byNS[m.Namespace], m.ID)
	}
	stored := map[cacheKey]bool{}
	for ns, ids := range byNS {
		got, err := s.store.GetMemories(ctx, ns, ids)
		if err != nil {
			return err
		}
		for _, m := range got {
			stored[cacheKey{ns, m.ID}] = true
		}
	}
	var todo []*mimo.Memory
	for _, m := range ms {
		if stored[cacheKey{m.Namespace, m.ID}] {
			s.releaseQueued(m.Namespace, m.ID) // applied by an earlier try
			continue
		}
		todo = append(todo, m)
	}
	if len(todo) == 0 {
		return nil
	}
	results, err := s.store.CreateMemories(ctx, todo)
	if err != nil {
		if mimo.ErrorCode(err) == mimo.EUNAVAILABLE {
			return err
		}
		// The batch as a whole failed for good: try each alone, so one
		// bad memory does not take the others with it.
		results = make([]mimo.CreateResult, len(todo))
		for i, m := range todo {
			results[i].Memory, results[i].Created, results[i].Err = s.store.CreateMemory(ctx, m)
			if mimo.ErrorCode(results[i].Err) == mimo.EUNAVAILABLE {
				return results[i].Err
			}
		}
	}
	for i, r := range results {
		m := todo[i]
		switch {
		case r.Err != nil:
			s.log.Error("a queued memory cannot be stored; dropping it", "namespace", m.Namespace, "id", m.ID, "err", r.Err)
			s.cache.forget(m.Namespace, m.ID)
			s.index.Delete(m.Namespace, m.ID)
		case !r.Created && r.Memory != nil && r.Memory.ID != m.ID:
			// Identical content was stored meanwhile (by another process):
			// as for any store of the same content, that memory stands.
			s.log.Info("a queued memory's content was already stored; keeping the stored one",
				"namespace", m.Namespace, "id", m.ID, "stored_id", r.Memory.ID)
			s.cache.forget(m.Namespace, m.ID)
			s.index.Delete(m.Namespace, m.ID)
		}
		s.releaseQueued(m.Namespace, m.ID)
	}
	return nil
}

// queueStore queues one new memory. Content the read cache already holds
// in the namespace answers as stored already, as the database would.
func (s *Service) queueStore(ctx context.Context, m *mimo.Memory, dup string, cause error) (*mimo.StoreResult, error) {
	for _, c := range s.cache.memories(m.Namespace) {
		if c.ContentHash == m.ContentHash {
			s.decorate(c)
			res := &mimo.StoreResult{Memory: c}
			if _, pending, _, _ := s.cache.get(c.Namespace, c.ID); pending {
				res.Queued, res.Status = true, mimo.StatusQueued
				mimo.OutcomeOf(ctx).Queue()
			}
			return res, nil
		}
	}
	res, err := s.queueStores(ctx, []*mimo.Memory{m}, cause)
	if err != nil {
		return nil, err
	}
	res[0].DuplicateOf = dup
	return res[0], nil
}

// queueBatch queues a batch's valid memories as one record and fills in
// their results; out already holds the invalid ones' errors.
func (s *Service) queueBatch(ctx context.Context, out []mimo.BatchItemResult, valid []*mimo.Memory, pos []int, dups []string, cause error) ([]mimo.BatchItemResult, error) {
	res, err := s.queueStores(ctx, valid, cause)
	if err != nil {
		return nil, err
	}
	for i, r := range res {
		r.DuplicateOf = dups[i]
		out[pos[i]].Result = r
	}
	return out, nil
}

// cached keeps a memory the database returned in the read cache. The
// memory it supersedes changed in the database too: its copy goes.
func (s *Service) cached(m *mimo.Memory) {
	s.cache.put(m, false)
	if m != nil && m.Supersedes != "" {
		s.cache.forget(m.Namespace, m.Supersedes)
	}
}

// uncache drops a deleted memory from the read cache, and the memory it
// superseded, which is current again.
func (s *Service) uncache(ns, id string) {
	if m, _, _, found := s.cache.get(ns, id); found && m != nil && m.Supersedes != "" {
		s.cache.forget(ns, m.Supersedes)
	}
	s.cache.forget(ns, id)
}
