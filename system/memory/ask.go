package memory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"mimo/system"
	"mimo/system/breaker"
)

// DefaultLLMTimeout bounds one answer synthesis.
const DefaultLLMTimeout = 30 * time.Second

// maxAnswerBytes bounds an extractive answer: a few sentences.
const maxAnswerBytes = 1200

// Reasons a degraded answer gives, also the reason label of
// mimo_fallback_triggered_total{service="llm"}.
const (
	reasonNoLLM       = "no_llm"
	reasonLLMFailed   = "llm_failed"
	reasonCircuitOpen = "circuit_open"
)

// ask is Ask before the database's state is told (see Ask): route the
// question, retrieve from the routed stores, then have the LLM answer from
// what was found, citing it.
// With no LLM, or when it fails: the LLM's earlier answer to the same
// question in the namespace if one is cached, else an extractive answer
// quoting the best sentences of the top memories; both are Degraded.
// When the retrieval itself was degraded the answer is too, whoever wrote
// it, with the search's reason (mimo.DegradedEmbedder,
// mimo.ReasonDBUnavailable) rather than the language model's.
func (s *Service) ask(ctx context.Context, r mimo.AskRequest) (*mimo.Answer, error) {
	start := s.now()
	ns, err := normalizeNamespace(r.Namespace)
	if err != nil {
		return nil, err
	}
	if err := validateQuery(r.Query); err != nil {
		return nil, err
	}
	limit, err := validateLimit(r.Limit, mimo.DefaultAskSources, mimo.MaxAskSources)
	if err != nil {
		return nil, err
	}
	question := normalizeQuestion(r.Query)
	route := s.router.route(question)
	ctxs, retrieval, err := s.retrieve(ctx, ns, r.Query, question, route, limit)
	if err != nil {
		return nil, err
	}
	ans := &mimo.Answer{Route: route, Sources: make([]mimo.Source, len(ctxs))}
	for i, c := range ctxs {
		ans.Sources[i] = c.source
	}
	// A degraded retrieval degrades the answer, whoever writes it, and
	// names its reason as the search did: the search's reason is the
	// first cause, and what a client can act on.
	defer func() {
		if retrieval != "" {
			ans.Degraded, ans.Reason = true, retrieval
		}
	}()

	cacheKey := ns + "\x00" + question
	reason := reasonNoLLM
	if s.llm != nil {
		text, err := s.synthesize(ctx, r.Query, ctxs)
		if err != nil && ctx.Err() != nil {
			// The caller hung up or ran out of time: no one is waiting
			// for an answer, and the model is not to blame.
			return nil, mimo.Wrap(mimo.EUNAVAILABLE, ctx.Err(), "request cancelled or timed out while the language model answered")
		}
		s.noteLLM(err)
		if err == nil {
			ans.Answer = text
			s.answers.Add(cacheKey, *ans)
			ans.LatencyMS = ms(s.now().Sub(start))
			return ans, nil
		}
		reason = reasonLLMFailed
		if errors.Is(err, breaker.ErrOpen) {
			reason = reasonCircuitOpen
		}
		if cached, ok := s.answers.Get(cacheKey); ok {
			ans = &cached
			ans.Route, ans.Degraded = route, true
			ans.Reason = "the language model failed; this is its earlier answer to the same question"
			ans.LatencyMS = ms(s.now().Sub(start))
			s.fallback(ctx, levelOf(reason), "llm", "cached_answer", "answer synthesis failed; answering with the model's earlier answer", "err", err)
			return ans, nil
		}
	}
	s.fallback(ctx, levelOf(reason), "llm", reason, "answering without the language model: quoting the memories found")
	ans.Answer = extract(r.Query, ctxs)
	ans.Degraded = true
	switch reason {
	case reasonNoLLM:
		ans.Reason = "no language model is configured; the answer quotes the memories found"
	case reasonCircuitOpen:
		ans.Reason = "the language model's circuit is open after repeated failures; the answer quotes the memories found"
	default:
		ans.Reason = "the language model failed; the answer quotes the memories found"
	}
	ans.LatencyMS = ms(s.now().Sub(start))
	return ans, nil
}

// levelOf is how loudly a reason to answer without the LLM is logged: a
// failure is a warning; no LLM configured, or its circuit open after
// failures already warned of, would log on every question.
func levelOf(reason string) slog.Level {
	if reason == reasonLLMFailed {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

// askContext is one thing retrieved for a question: its source entry and
// the text an answer may quote.
type askContext struct {
	source mimo.Source
	text   string
}

// retrieve gathers, for query (question is it normalised by
// normalizeQuestion), up to limit memories (hybrid search, then the newest
// when routed to recent) and, when routed to the graph, up to limit
// entities whose text holds a word of the question. Best first, no repeats.
// degraded is the search's reason when it was degraded (such as
// mimo.DegradedEmbedder or mimo.ReasonDBUnavailable), else "".
// The memories found are reused for the same question while no memory has
// changed since, their scores brought up to date (see retrieval); the graph
// is asked every time.
func (s *Service) retrieve(ctx context.Context, ns, query, question string, route mimo.Route, limit int) (_ []askContext, degraded string, _ error) {
	wantRecent := slices.Contains(route.Stores, mimo.RouteRecent)
	key := retrievalKey(ns, question, limit, wantRecent)
	seq, current := s.current(ctx)
	var found, recent []askContext
	r, ok := s.retrievals.lru.Get(key)
	if current && ok && r.seq == seq {
		found, recent, ok = s.reuse(r)
	} else {
		ok = false
	}
	if !ok {
		var err error
		if r, degraded, err = s.retrieveMemories(ctx, ns, query, limit, wantRecent); err != nil {
			return nil, "", err
		}
		if current && degraded == "" {
			r.seq = seq
			s.retrievals.lru.Add(key, r)
		}
		found, recent = contexts(r.found), contexts(r.recent)
	}
	out := append(make([]askContext, 0, len(found)+len(recent)+limit), found...)
	for _, st := range route.Stores {
		switch st {
		case mimo.RouteRecent:
			out = append(out, recent...)
		case mimo.RouteGraph:
			out = append(out, s.graphContext(ctx, ns, query, limit)...)
		}
	}
	return out, degraded, nil
}

func contexts(ms []scored) []askContext {
	out := make([]askContext, len(ms))
	for i, m := range ms {
		out[i] = m.ctx
	}
	return out
}

// retrieveMemories is retrieve's part among the memories, from the
// database.
func (s *Service) retrieveMemories(ctx context.Context, ns, query string, limit int, wantRecent bool) (r retrieval, degraded string, _ error) {
	// Ask validated the namespace, query and limit already; its own
	// retrieval is not a client's search, so it is neither timed as one
	// nor counted as an access of the memories it reads. One memory more
	// than limit is asked for, when that changes nothing, to know how far
	// the scores may fall before a memory left out could outrank one kept
	// (see retrieval).
	want := limit
	if peekable(limit) {
		want = limit + 1
	}
	q := mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: query, Limit: want}
	page, err := s.rank(ctx, q, want, 0)
	page, err = s.orCached(ctx, q, page, err)
	if err != nil {
		return r, "", err
	}
	if page.Degraded {
		degraded = page.Reason
	}
	// Dated after the ranking, so that next is no lower than the left-out
	// memory's score at any time reuse may see.
	r = newRetrieval(page, limit, s.now())
	if !wantRecent {
		return r, degraded, nil
	}
	seen := map[string]bool{}
	for _, m := range r.found {
		seen[m.ctx.source.ID] = true
	}
	recent, err := s.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: ns}, Limit: limit})
	if err != nil {
		return r, "", err
	}
	for _, m := range recent.Memories {
		if !seen[m.ID] && len(r.found)+len(r.recent) < 2*limit {
			seen[m.ID] = true
			r.recent = append(r.recent, scoredOf(m, s.score(m, mimo.Scores{})))
		}
	}
	return r, degraded, nil
}

// graphContext finds entities holding the question's most distinctive
// words (the longest three); a graph that is missing or failing adds
// nothing rather than failing the question.
func (s *Service) graphContext(ctx context.Context, ns, query string, limit int) []askContext {
	if s.graph == nil {
		return nil
	}
	words := mimo.SearchWords(query)
	sort.SliceStable(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
	words = words[:min(3, len(words))]
	found, err := s.findEntities(ctx, ns, words, limit)
	if err != nil {
		s.fallback(ctx, slog.LevelWarn, "graph", "error", "graph search for a question failed; answering from memories", "err", err)
		return nil
	}
	hits := map[string]int{}
	entities := map[string]mimo.Entity{}
	for _, es := range found {
		for _, e := range es {
			hits[e.Name]++
			entities[e.Name] = e
		}
	}
	names := make([]string, 0, len(hits))
	for n := range hits {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if hits[names[i]] != hits[names[j]] {
			return hits[names[i]] > hits[names[j]]
		}
		return names[i] < names[j]
	})
	var out []askContext
	for _, n := range names[:min(limit, len(names))] {
		e := entities[n]
		text := e.Name + " (" + e.EntityType + ")"
		if len(e.Observations) > 0 {
			text += ": " + strings.Join(e.Observations, "; ")
		}
		out = append(out, askContext{
			source: mimo.Source{Kind: "entity", ID: e.Name, Score: float64(hits[n]) / float64(len(words))},
			text:   text,
		})
	}
	return out
}

// noteLLM keeps the outcome of the last synthesis for /health: err's
// message, "" after a success. It writes only on a change, so answers in
// flight at once do not all contend for the one pointer.
func (s *Service) noteLLM(err error) {
	failure := ""
	if err != nil {
		failure = mimo.ErrorMessage(err)
	}
	if last := s.llmFailure.Load(); last == nil || *last != failure {
		s.llmFailure.Store(&failure)
	}
}

// findEntities searches the graph for each word: in one read when the
// store can (mimo.EntityFinder), which costs a third of three, and without
// the relations SearchNodes also reads and a question does not use.
func (s *Service) findEntities(ctx context.Context, ns string, words []string, limit int) ([][]mimo.Entity, error) {
	if f, ok := s.graph.(mimo.EntityFinder); ok {
		return f.FindEntities(ctx, ns, words, limit)
	}
	out := make([][]mimo.Entity, len(words))
	for i, w := range words {
		g, err := s.graph.SearchNodes(ctx, ns, w, limit)
		if err != nil {
			return nil, err
		}
		out[i] = g.Entities
	}
	return out, nil
}

// synthesize asks the LLM to answer from the numbered context only. A call
// that fails because the caller's ctx ended is not counted against the
// model's circuit: a hundred clients hanging up at once would otherwise
// open it, and every other client would get degraded answers for
// BreakerReset.
func (s *Service) synthesize(callerCtx context.Context, query string, ctxs []askContext) (string, error) {
	ctx, cancel := context.WithTimeout(callerCtx, s.llmTimeout)
	defer cancel()
	n := len("Memories:\n") + len("\nQuestion: ") + len(query)
	for _, c := range ctxs {
		n += len("[00] \n") + len(c.text)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString("Memories:\n")
	var num [20]byte
	for i, c := range ctxs {
		b.WriteByte('[')
		b.Write(strconv.AppendInt(num[:0], int64(i+1), 10))
		b.WriteString("] ")
		b.WriteString(c.text)
		b.WriteByte('\n')
	}
	b.WriteString("\nQuestion: ")
	b.WriteString(query)
	const system = "Answer the question using only the numbered memories given. Cite the ones you use as [n]. " +
		"If they do not hold the answer, say that you do not know."
	var text string
	var callers error // a failure of the caller's making
	err := s.llmBreaker.Do(func() error {
		t := time.Now()
		var err error
		text, err = s.llm.Complete(ctx, system, b.String())
		s.llmDuration.Observe(time.Since(t).Seconds())
		if err == nil && strings.TrimSpace(text) == "" {
			err = mimo.Errorf(mimo.EUNAVAILABLE, "the language model answered nothing")
		}
		if err != nil && callerCtx.Err() != nil {
			callers = err
			return nil
		}
		return err
	})
	if callers != nil {
		err = callers
	}
	return strings.TrimSpace(text), err
}

// extract answers by quoting: from each of the top three sources, the
// sentence sharing the most words with the question (the first sentence
// when none does), cited as [n]. With nothing retrieved it says so.
func extract(query string, ctxs []askContext) string {
	if len(ctxs) == 0 {
		return "I have no memories about that."
	}
	want := map[string]bool{}
	for _, w := range mimo.SearchWords(query) {
		want[w] = true
	}
	var b strings.Builder
	for i, c := range ctxs[:min(3, len(ctxs))] {
		best, bestScore := "", -1
		for _, sentence := range sentences(c.text) {
			score := 0
			for _, w := range mimo.SearchWords(sentence) {
				if want[w] {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = sentence, score
			}
		}
		if i > 0 && bestScore == 0 {
			continue // a lower source with no word of the question adds noise
		}
		piece := fmt.Sprintf("%s [%d]", strings.TrimRight(best, ".!? "), i+1)
		if b.Len()+len(piece)+2 > maxAnswerBytes {
			break
		}
		if b.Len() > 0 {
			b.WriteString(". ")
		}
		b.WriteString(piece)
	}
	b.WriteString(".")
	return b.String()
}

// sentences splits text at sentence ends and line breaks.
func sentences(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		end := r == '\n'
		if (r == '.' || r == '!' || r == '?') && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n') {
			end = true
		}
		if end {
			if s := strings.TrimSpace(text[start : i+1]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	if len(out) == 0 {
		out = []string{strings.TrimSpace(text)}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
