package embed

import (
	"context"
	"fmt"
	"strings"
)

// NewOpenAI returns an embedder that calls an OpenAI-compatible POST
// {URL}/embeddings with {"model": …, "input": […]} and reads
// {"data": [{"index": i, "embedding": […]}, …]}, put in input order by
// index. Defaults: DefaultOpenAIURL, DefaultOpenAIModel, DefaultOpenAIDim,
// DefaultOpenAIMaxInputBytes. Bad options are EINVALID.
//
// "dimensions" is sent only to the models known to take it, OpenAI's
// text-embedding-3 family, and then always (the configured Dim): those
// models shorten their vectors on request, and a compatible server serving
// them by that name does too. Other models are sent no "dimensions": many
// compatible servers refuse it for a model that cannot shorten its
// vectors, and a model's native length is what Dim must then be (an answer
// of another length is a ReasonWrongDim failure, naming MIMO_EMBED_DIM).
func NewOpenAI(o RemoteOptions) (*Remote, error) {
	r, err := newRemote(ProviderOpenAI, o, DefaultOpenAIURL, DefaultOpenAIModel, DefaultOpenAIDim, DefaultOpenAIMaxInputBytes)
	if err != nil {
		return nil, err
	}
	r.protocol = r.openAIEmbed
	return r, nil
}

// takesDimensions reports whether model accepts "dimensions".
func takesDimensions(model string) bool {
	return strings.HasPrefix(model, "text-embedding-3-")
}

type openAIEmbeddingRequest struct {
	Model      string   `json:"model"`
	Input      []string `json:"input"`
	Dimensions int      `json:"dimensions,omitempty"`
}

type openAIEmbeddingResponse struct {
	Data []struct {
		Index     *int      `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

func (r *Remote) openAIEmbed(ctx context.Context, texts []string) ([][]float32, error) {
	req := openAIEmbeddingRequest{Model: r.model, Input: texts}
	if takesDimensions(r.model) {
		req.Dimensions = r.dim
	}
	var out openAIEmbeddingResponse
	if err := r.post(ctx, "/embeddings", req, &out); err != nil {
		return nil, err
	}
	if len(out.Data) != len(texts) {
		return nil, &Failure{Provider: r.provider, Reason: ReasonMalformed,
			Detail: fmt.Sprintf("%d embeddings for %d texts", len(out.Data), len(texts))}
	}
	vecs := make([][]float32, len(texts))
	for _, d := range out.Data {
		if d.Index == nil || *d.Index < 0 || *d.Index >= len(vecs) || vecs[*d.Index] != nil {
			return nil, &Failure{Provider: r.provider, Reason: ReasonMalformed, Detail: "embedding indexes are not 0 to n-1, each once"}
		}
		if d.Embedding == nil {
			d.Embedding = []float32{}
		}
		vecs[*d.Index] = d.Embedding
	}
	return vecs, nil
}
