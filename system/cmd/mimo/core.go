package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mimo/system"
	"mimo/system/index"
	"mimo/system/llm"
	"mimo/system/memory"
	"mimo/system/metrics"
)

// core is the service and what it stands on, shared by serve and stdio:
// the migrated store, the embedder, the vector index loading in the
// background, and the metrics on their own registry.
type core struct {
	store   storage
	svc     *memory.Service
	metrics *metrics.Metrics
	reg     *prometheus.Registry
	close   func()
}

// openCore opens and migrates the store and starts the service. The index
// loads in the background so the server is ready at once; until it has
// loaded, search ranks by words only and /health says so. close stops
// the load and closes the service and the store.
func openCore(ctx context.Context, cfg *Config, log *slog.Logger) (*core, error) {
	st, err := openStorage(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if _, versions, err := migrateUp(ctx, cfg, st, log); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrating the database: %w", err)
	} else if len(versions) > 0 {
		log.Info("migrated", "versions", versions)
	}

	reg := prometheus.NewRegistry()
	llmProvider := cfg.LLM
	if llmProvider == "none" {
		llmProvider = ""
	}
	met := metrics.New(metrics.Options{Registerer: reg, Version: Version, EmbedProvider: cfg.Embedder, LLMProvider: llmProvider})
	emb, err := newEmbedder(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	stale, err := checkEmbeddings(ctx, st, emb)
	if err != nil {
		st.Close()
		return nil, err
	}
	idx := index.New(index.Options{Dim: emb.Dim()})
	follower := index.NewFollower(index.FollowerOptions{Store: st, Index: idx, Text: index.NewText(index.TextOptions{}), Logger: log, Model: emb.Model()})
	var model mimo.LLM
	if cfg.LLM != "none" && cfg.LLM != "" {
		m, err := llm.New(llm.Options{Provider: cfg.LLM, URL: cfg.LLMURL, Model: cfg.LLMModel, APIKey: cfg.LLMAPIKey})
		if err != nil {
			st.Close()
			return nil, err
		}
		model = m
		log.Info("answers are synthesised", "llm", m.Model())
	}
	sp, err := openSpool(cfg, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	readCache := cfg.ReadCache
	if readCache == 0 {
		readCache = -1 // MIMO_READ_CACHE=0 disables it; the option's zero is the default
	}
	svc, err := memory.New(memory.Options{
		Store: st, Embedder: emb, Index: idx, Follower: follower, LLM: model,
		BreakerFailures: cfg.BreakerFailures, BreakerReset: cfg.BreakerReset,
		Provider: cfg.Embedder, Metrics: met, Logger: log,
		Spool: sp, ReadCacheBytes: readCache,
	})
	if err != nil {
		closeSpool(sp)
		st.Close()
		return nil, err
	}
	drainAtStart(ctx, svc, sp, log)

	loadCtx, cancelLoad := context.WithCancel(ctx)
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		t := time.Now()
		if err := follower.Load(loadCtx); err != nil {
			if loadCtx.Err() == nil {
				log.Error("loading the vector index failed; search uses words only", "err", err)
			}
			return
		}
		log.Info("vector index loaded", "vectors", idx.Len(), "text_documents", follower.Text().Len(), "seconds", time.Since(t).Seconds())
	}()
	reembedded := make(chan struct{})
	go func() {
		defer close(reembedded)
		if stale > 0 {
			reembedBuiltin(loadCtx, st, emb, stale, log)
		}
	}()
	return &core{
		store: st, svc: svc, metrics: met, reg: reg,
		close: func() {
			cancelLoad()
			<-loaded
			<-reembedded
			svc.Close()
			closeSpool(sp)
			st.Close()
		},
	}, nil
}
