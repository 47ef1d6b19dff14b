package standin_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"mimo/harness/standin"
)

func TestEmbedIsDeterministicAndUnitLength(t *testing.T) {
	for _, dim := range []int{1, 2, 3, 16, 384, 768, 1536} {
		for _, text := range []string{"", "   ", "hello", "The staging database is Postgres 15 on db-2.", "日本語のテキスト", "a"} {
			v := standin.Embed(text, dim)
			assert.Len(t, v, dim)
			assert.InDelta(t, 1, norm(v), 1e-5, "dim %d text %q", dim, text)
			assert.Equal(t, v, standin.Embed(text, dim), "dim %d text %q", dim, text)
		}
	}
	assert.Len(t, standin.Embed("x", 0), 1, "a dimension below 1 is taken as 1")
}

func TestEmbedMakesSimilarTextsSimilar(t *testing.T) {
	const dim = 768
	base := standin.Embed("The staging database runs Postgres 15", dim)
	near := standin.Embed("which Postgres version does the staging database run?", dim)
	far := standin.Embed("Deploys happen on Tuesdays after the standup", dim)
	assert.Greater(t, cosine(base, near), 0.5)
	assert.Less(t, cosine(base, far), 0.2)
	assert.Greater(t, cosine(base, near), cosine(base, far)+0.3)

	assert.InDelta(t, 1, cosine(standin.Embed("Hello, World!", dim), standin.Embed("hello world", dim)), 1e-6,
		"case and punctuation do not matter")

	forms := cosine(standin.Embed("memories", dim), standin.Embed("memory", dim))
	other := cosine(standin.Embed("memories", dim), standin.Embed("banana", dim))
	assert.Greater(t, forms, other+0.2, "word forms share trigrams")
	assert.Greater(t, forms, 0.2)

	assert.NotEqual(t, standin.Embed("cat", dim), standin.Embed("dog", dim))
}

func TestEmbedDimensionsGiveDifferentVectors(t *testing.T) {
	a := standin.Embed("hello world", 64)
	b := standin.Embed("hello world", 128)
	assert.Len(t, a, 64)
	assert.Len(t, b, 128)
	assert.InDelta(t, 1, norm(b), 1e-5)
}
