package memorytest

import (
	"context"
	"sync"

	"mimo/system/embed"
)

// Embedder is the built-in embedder (deterministic and offline, so similar
// texts get similar vectors, as near-duplicate rules need) that fails with
// a given error while told to, and counts the texts it was asked to embed.
type Embedder struct {
	builtin *embed.Builtin
	mu      sync.Mutex
	err     error
	texts   int
}

// NewEmbedder returns a working Embedder of embed.DefaultDim.
func NewEmbedder() *Embedder {
	return &Embedder{builtin: embed.NewBuiltin(embed.BuiltinOptions{})}
}

// Embed implements mimo.Embedder.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	e.mu.Lock()
	err := e.err
	e.texts += len(texts)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return e.builtin.Embed(ctx, texts)
}

// Model implements mimo.Embedder.
func (e *Embedder) Model() string { return e.builtin.Model() }

// Dim implements mimo.Embedder.
func (e *Embedder) Dim() int { return e.builtin.Dim() }

// Fail makes every call fail with err until Recover.
func (e *Embedder) Fail(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.err = err
}

// Recover makes calls succeed again.
func (e *Embedder) Recover() { e.Fail(nil) }

// Texts is how many texts the embedder was asked to embed, failed calls
// included.
func (e *Embedder) Texts() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.texts
}

// LLM answers every prompt with its reply, or fails with its error, and
// keeps the prompts it was sent.
type LLM struct {
	mu      sync.Mutex
	reply   string
	err     error
	prompts []string
}

// NewLLM returns an LLM that answers reply.
func NewLLM(reply string) *LLM { return &LLM{reply: reply} }

// Complete implements mimo.LLM.
func (l *LLM) Complete(_ context.Context, _, prompt string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prompts = append(l.prompts, prompt)
	return l.reply, l.err
}

// Model implements mimo.LLM.
func (l *LLM) Model() string { return "memorytest" }

// Reply makes the LLM answer text (and no longer fail).
func (l *LLM) Reply(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reply, l.err = text, nil
}

// Fail makes every call fail with err until Reply.
func (l *LLM) Fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

// Prompts returns the prompts sent so far, oldest first.
func (l *LLM) Prompts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.prompts...)
}
