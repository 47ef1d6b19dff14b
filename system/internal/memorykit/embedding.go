package memorykit

import mimo "mimo/system"

// EmbeddingQuery returns q as stores run it: Limit 0 is
// mimo.DefaultEmbeddingLimit and more than mimo.MaxEmbeddingLimit is cut
// to it. A negative limit or dimension, or a model CheckText refuses, is
// EINVALID.
func EmbeddingQuery(q mimo.EmbeddingQuery) (mimo.EmbeddingQuery, error) {
	if q.Limit < 0 {
		return q, mimo.Errorf(mimo.EINVALID, "limit: must not be negative")
	}
	if q.Dim < 0 {
		return q, mimo.Errorf(mimo.EINVALID, "dimension: must not be negative")
	}
	if err := CheckText("embedding query", q.Model, q.After); err != nil {
		return q, err
	}
	q.Limit = Limit(q.Limit, mimo.DefaultEmbeddingLimit, mimo.MaxEmbeddingLimit)
	return q, nil
}

// EmbeddingUpdates checks us for mimo.Store.SetEmbeddings and returns them
// as stored: each embedding as CheckEmbedding makes it, each namespace
// normalised. A bad vector or text is EINVALID, and nothing is set.
func EmbeddingUpdates(us []mimo.EmbeddingUpdate) ([]mimo.EmbeddingUpdate, error) {
	out := make([]mimo.EmbeddingUpdate, len(us))
	for i, u := range us {
		if err := CheckText("embedding update", u.Namespace, u.ID, u.ContentHash, u.Embedding.Model); err != nil {
			return nil, err
		}
		e, err := CheckEmbedding(u.Embedding)
		if err != nil {
			return nil, err
		}
		out[i] = mimo.EmbeddingUpdate{Namespace: Namespace(u.Namespace), ID: u.ID, ContentHash: u.ContentHash, Embedding: e}
	}
	return out, nil
}
