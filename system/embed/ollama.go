package embed

import "context"

// NewOllama returns an embedder that calls Ollama's POST {URL}/api/embed
// with the whole batch as input, {"model": …, "input": […]}, and reads
// {"embeddings": [[…], …]} in input order. Defaults: DefaultOllamaURL,
// DefaultOllamaModel, DefaultOllamaDim. Ollama truncates an input longer
// than the model's context itself, so texts are not cut unless
// MaxInputBytes says so. Bad options are EINVALID.
func NewOllama(o RemoteOptions) (*Remote, error) {
	r, err := newRemote(ProviderOllama, o, DefaultOllamaURL, DefaultOllamaModel, DefaultOllamaDim, -1)
	if err != nil {
		return nil, err
	}
	r.protocol = r.ollamaEmbed
	return r, nil
}

type ollamaEmbedRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

type ollamaEmbedResponse struct {
	Embeddings [][]float32 `json:"embeddings"`
}

func (r *Remote) ollamaEmbed(ctx context.Context, texts []string) ([][]float32, error) {
	var out ollamaEmbedResponse
	if err := r.post(ctx, "/api/embed", ollamaEmbedRequest{Model: r.model, Input: texts}, &out); err != nil {
		return nil, err
	}
	return out.Embeddings, nil
}
