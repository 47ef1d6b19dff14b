package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"mimo/system"
	"mimo/system/embed"
	"mimo/system/memory"
)

// newEmbedder returns the configured embedder: the built-in one, or an
// Ollama or OpenAI-compatible service with the provider's defaults for
// what is not set.
func newEmbedder(cfg *Config) (mimo.Embedder, error) {
	if cfg.Embedder == "" || cfg.Embedder == embed.ProviderBuiltin {
		return embed.NewBuiltin(embed.BuiltinOptions{Dim: cfg.EmbedDim, WordNet: cfg.EmbedWordNet, WordVectors: cfg.EmbedVectors}), nil
	}
	e, err := embed.NewRemote(cfg.Embedder, embed.RemoteOptions{URL: cfg.EmbedURL, Model: cfg.EmbedModel, Dim: cfg.EmbedDim,
		APIKey: cfg.EmbedAPIKey, Timeout: cfg.EmbedTimeout})
	if err != nil {
		return nil, settingErr("MIMO_EMBEDDER=%s: %s; check MIMO_EMBED_URL, MIMO_EMBED_MODEL and MIMO_EMBED_DIM", cfg.Embedder, mimo.ErrorMessage(err))
	}
	return e, nil
}

// checkEmbeddings stops start-up when the store holds vectors of another
// model or dimension than e makes: they cannot be compared with its
// queries, so search would silently stop finding them by meaning. Memories
// without a vector are fine (background re-embedding gives them one). So
// are vectors of another version or setting of the built-in embedder when
// e is the built-in one: re-embedding them is local and cheap, so start-up
// goes on and their number is returned for reembedBuiltin.
func checkEmbeddings(ctx context.Context, st mimo.Store, e mimo.Embedder) (stale int64, err error) {
	counts, err := st.EmbeddingModels(ctx, e.Model(), e.Dim())
	if err != nil {
		return 0, fmt.Errorf("reading the store's embedding models: %w", err)
	}
	var foreign []string
	var n int64
	for _, c := range counts {
		if c.Model != "" && (c.Model != e.Model() || c.Dim != e.Dim()) {
			foreign = append(foreign, fmt.Sprintf("%d by %s (%d dimensions)", c.Memories, c.Model, c.Dim))
			n += c.Memories
			if isBuiltin(c.Model) {
				stale += c.Memories
			}
		}
	}
	if n == 0 || stale == n && isBuiltin(e.Model()) {
		return stale, nil
	}
	return 0, settingErr("the store holds %d memories embedded by another model than the configured %s (%d dimensions): %s; run 'mimo reindex' to re-embed them with it, or set MIMO_EMBEDDER, MIMO_EMBED_MODEL and MIMO_EMBED_DIM back to the model that made them",
		n, e.Model(), e.Dim(), strings.Join(foreign, ", "))
}

// isBuiltin reports whether model names a vector of the built-in embedder.
func isBuiltin(model string) bool { return strings.HasPrefix(model, embed.BuiltinModelPrefix) }

// reembedBuiltin re-embeds, in the background, the stale memories whose
// vectors another version or setting of the built-in embedder made, and
// logs its progress: when it starts, at every tenth of the way and when it
// is done. Until a memory is done, search finds it by its words only. It
// runs once per start (so two processes set up differently on one store
// do not re-embed each other's memories back and forth) and stops when ctx
// is done; a run that stopped is continued by the next start.
func reembedBuiltin(ctx context.Context, st mimo.Store, e mimo.Embedder, stale int64, log *slog.Logger) {
	log.Info("re-embedding in the background the memories an older version or setting of the built-in embedder made; until then search finds them by their words",
		"memories", stale, "model", e.Model())
	began := time.Now()
	var step int64
	res, err := memory.Reembed(ctx, memory.ReembedOptions{Store: st, Embedder: e, Logger: log, Progress: func(done, total int64) {
		if total > 0 && done*10/total > step {
			step = done * 10 / total
			log.Info("re-embedding", "done", done, "of", total)
		}
	}})
	if err != nil {
		if ctx.Err() == nil {
			log.Error("re-embedding stopped; the next start continues it, or run 'mimo reindex'", "done", res.Done, "of", res.Total, "err", err)
		}
		return
	}
	log.Info("re-embedded the built-in embedder's memories", "memories", res.Done, "model", e.Model(), "seconds", time.Since(began).Seconds())
}
