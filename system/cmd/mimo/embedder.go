package main

import (
	"context"
	"fmt"
	"strings"

	"mimo/system"
	"mimo/system/embed"
)

// newEmbedder returns the configured embedder: the built-in one, or an
// Ollama or OpenAI-compatible service with the provider's defaults for
// what is not set.
func newEmbedder(cfg *Config) (mimo.Embedder, error) {
	if cfg.Embedder == "" || cfg.Embedder == embed.ProviderBuiltin {
		return embed.NewBuiltin(embed.BuiltinOptions{Dim: cfg.EmbedDim}), nil
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
// without a vector are fine (background re-embedding gives them one).
func checkEmbeddings(ctx context.Context, st mimo.Store, e mimo.Embedder) error {
	counts, err := st.EmbeddingModels(ctx)
	if err != nil {
		return fmt.Errorf("reading the store's embedding models: %w", err)
	}
	var foreign []string
	var n int64
	for _, c := range counts {
		if c.Model != "" && (c.Model != e.Model() || c.Dim != e.Dim()) {
			foreign = append(foreign, fmt.Sprintf("%d by %s (%d dimensions)", c.Memories, c.Model, c.Dim))
			n += c.Memories
		}
	}
	if n == 0 {
		return nil
	}
	return settingErr("the store holds %d memories embedded by another model than the configured %s (%d dimensions): %s; run 'mimo reindex' to re-embed them with it, or set MIMO_EMBEDDER, MIMO_EMBED_MODEL and MIMO_EMBED_DIM back to the model that made them",
		n, e.Model(), e.Dim(), strings.Join(foreign, ", "))
}
