package memory

import (
	"context"
	"time"

	"mimo/system"
)

// StatusDisabled is a component's status when it is not configured.
const StatusDisabled = "disabled"

// healthTimeout bounds each dependency check so /health answers even when a
// dependency hangs.
const healthTimeout = 2 * time.Second

// Health implements mimo.Service. The database being unreachable makes the
// service "down" without a spool, "degraded" with one (reads from the
// read cache, writes queued; see dbHealth); the vector
// index still loading makes it "degraded" (search falls back to words).
func (s *Service) Health(ctx context.Context) mimo.Health {
	return s.health(ctx, true)
}

// health is Health; countAll false leaves Memories 0 and skips counting
// every namespace's memories, which Stats does not report.
func (s *Service) health(ctx context.Context, countAll bool) mimo.Health {
	h := mimo.Health{Status: mimo.StatusOK, Components: map[string]mimo.Component{}, ClassifierCache: s.router.stats()}

	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if s.dbHealth(ctx, &h) && countAll {
		if n, err := s.raw.CountMemories(ctx, "*"); err == nil {
			h.Memories = n
			s.metrics.Memories.Set(float64(n))
		}
	}

	emb := s.embedderHealth()
	if emb.Status != mimo.StatusOK && h.Status == mimo.StatusOK {
		h.Status = mimo.StatusDegraded
	}
	h.Components["embedder"] = emb
	h.Reembed = s.reembedStatus()

	idx := mimo.Component{Status: mimo.StatusOK, Circuit: "closed"}
	if !s.follower.Loaded() {
		idx.Status = mimo.StatusDegraded
		idx.Error = "vector index loading; search uses words only"
		if h.Status == mimo.StatusOK {
			h.Status = mimo.StatusDegraded
		}
	}
	h.Components["index"] = idx

	// Without a language model answers are extractive by design: the
	// component says so without making the service degraded.
	llm := mimo.Component{Status: mimo.StatusOK, Circuit: "closed"}
	switch failure := s.llmFailure.Load(); {
	case s.llm == nil:
		llm.Status = StatusDisabled
		llm.Error = "no language model configured (MIMO_LLM=none); answers quote the memories found"
	default:
		llm.Circuit = s.llmBreaker.State().String()
		if failure != nil && *failure != "" {
			// The last answer could not be synthesised: answers are
			// degraded until one can.
			llm.Status = mimo.StatusDegraded
			llm.Error = *failure
			if h.Status == mimo.StatusOK {
				h.Status = mimo.StatusDegraded
			}
		}
	}
	h.Components["llm"] = llm
	return h
}

// Stats implements mimo.Service.
func (s *Service) Stats(ctx context.Context, namespace string) (*mimo.Stats, error) {
	ns, err := normalizeNamespace(namespace)
	if err != nil {
		return nil, err
	}
	n, err := s.store.CountMemories(ctx, ns)
	if err != nil {
		return nil, err
	}
	h := s.health(ctx, false)
	return &mimo.Stats{Namespace: ns, Memories: n, Status: h.Status, Components: h.Components, ClassifierCache: h.ClassifierCache}, nil
}
