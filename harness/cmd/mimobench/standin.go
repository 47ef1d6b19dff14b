package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"mimo/harness/standin"
)

// Embedders --embedder takes: Mimo's built-in one, or a provider's
// protocol served by the harness's stand-in in this process.
const (
	embedderBuiltin = "builtin"
	embedderOllama  = "ollama"
	embedderOpenAI  = "openai"
)

// standinDim is the length of the stand-in's vectors, as
// nomic-embed-text's.
const standinDim = 768

// embedService is the provider stand-in serving Mimo's embedder over
// real HTTP on a local port, and the settings that point Mimo at it.
type embedService struct {
	srv *http.Server
	s   *standin.Server
	env []string
}

// startEmbedService serves the stand-in for provider (ollama or openai).
func startEmbedService(provider string) (*embedService, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &embedService{s: standin.New(standin.Options{Dim: standinDim})}
	e.srv = &http.Server{Handler: e.s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()
	root := "http://" + ln.Addr().String()
	switch provider {
	case embedderOllama:
		e.env = []string{"MIMO_EMBED_URL=" + root, "MIMO_EMBED_MODEL=" + standin.DefaultEmbedModel}
	case embedderOpenAI:
		// A text-embedding-3 model is sent "dimensions", which the
		// stand-in honours as OpenAI does.
		e.env = []string{"MIMO_EMBED_URL=" + root + "/v1", "MIMO_EMBED_MODEL=text-embedding-3-small"}
	default:
		_ = e.srv.Close()
		return nil, fmt.Errorf("embedder %q is not one of %s, %s, %s", provider, embedderBuiltin, embedderOllama, embedderOpenAI)
	}
	e.env = append(e.env, "MIMO_EMBEDDER="+provider, fmt.Sprintf("MIMO_EMBED_DIM=%d", standinDim))
	return e, nil
}

// embedCalls returns the embedding calls the stand-in received.
func (e *embedService) embedCalls() int64 {
	c := e.s.Counters()
	return c.Routes[standin.RouteOllamaEmbed] + c.Routes[standin.RouteOpenAIEmbeddings]
}

func (e *embedService) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = e.srv.Close()
	}
}
