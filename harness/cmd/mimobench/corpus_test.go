package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

func TestCorpusIsDeterministic(t *testing.T) {
	a, b := NewCorpus(7), NewCorpus(7)
	assert.Equal(t, a.Memories(500), b.Memories(500))
	assert.Equal(t, a.Queries(200), b.Queries(200))

	other := NewCorpus(8)
	assert.NotEqual(t, a.Memories(50), other.Memories(50))
	assert.NotEqual(t, a.Queries(50), other.Queries(50))
}

// The corpus of n is the first n memories of any larger corpus, and the
// queries do not depend on how many memories were drawn: runs at 10,000
// and 100,000 search the same questions over a superset of the data.
func TestCorpusGrowsByPrefix(t *testing.T) {
	c := NewCorpus(3)
	assert.Equal(t, c.Memories(300), c.Memories(2000)[:300])
	assert.Equal(t, c.Queries(50), c.Queries(400)[:50])
	_ = c.Memories(5000)
	assert.Equal(t, NewCorpus(3).Queries(50), c.Queries(50))
}

func TestMemoriesLookLikeAnAgentsMemories(t *testing.T) {
	const n = 10_000
	ms := NewCorpus(1).Memories(n)
	require.Len(t, ms, n)

	seen := map[string]bool{}
	cats := map[mimo.Category]int{}
	withMeta, withTags, tagCounts := 0, 0, map[int]int{}
	for _, m := range ms {
		c := m.Content
		require.GreaterOrEqual(t, len(c), minContentBytes, c)
		require.LessOrEqual(t, len(c), maxContentBytes, c)
		require.True(t, utf8.ValidString(c), c)
		require.NotContains(t, c, "{", "unfilled template slot in %q", c)
		require.True(t, strings.HasSuffix(c, "."), "sentence not ended: %q", c)
		require.False(t, seen[c], "duplicate content %q", c)
		seen[c] = true

		require.True(t, m.Category.Valid(), m.Category)
		cats[m.Category]++
		require.NotNil(t, m.Importance)
		require.GreaterOrEqual(t, *m.Importance, 0.05)
		require.LessOrEqual(t, *m.Importance, 1.0)

		tagCounts[len(m.Tags)]++
		if len(m.Tags) > 0 {
			withTags++
		}
		require.LessOrEqual(t, len(m.Tags), 4)
		uniq := map[string]bool{}
		for _, tag := range m.Tags {
			require.False(t, uniq[tag], "tag %q twice in %v", tag, m.Tags)
			uniq[tag] = true
			require.LessOrEqual(t, len(tag), mimo.MaxTagBytes)
		}
		if m.Metadata != nil {
			withMeta++
			var obj map[string]any
			require.NoError(t, json.Unmarshal(m.Metadata, &obj))
			require.Contains(t, obj, "source")
		}
		assert.Empty(t, m.Namespace, "the namespace is the batch's, not the item's")
	}

	// Every category, in roughly the proportions of categoryWeights.
	require.Len(t, cats, len(mimo.Categories))
	for i, c := range mimo.Categories {
		share := float64(cats[c]) / n
		assert.InDelta(t, categoryWeights[i], share, 0.03, "share of %s", c)
	}
	// Tags and metadata vary: some memories have none.
	assert.Greater(t, withTags, n/2)
	assert.Less(t, withTags, n)
	assert.Len(t, tagCounts, 5, "0 to 4 tags all occur: %v", tagCounts)
	assert.InDelta(t, 0.7, float64(withMeta)/n, 0.03)

	stats := describeCorpus(ms)
	assert.GreaterOrEqual(t, stats.DistinctWords, 2000, "a few thousand distinct words")
	assert.Equal(t, minContentBytes, stats.MinBytes)
	assert.Greater(t, stats.MaxBytes, 250, "long memories occur")
	assert.Greater(t, stats.MeanBytes, 90.0)
}

func TestQueriesAreTwoToEightWordsOfTheVocabulary(t *testing.T) {
	vocab := map[string]bool{}
	for _, l := range queryLists {
		for _, w := range l {
			vocab[w] = true
		}
	}
	lengths := map[int]int{}
	for _, q := range NewCorpus(1).Queries(2000) {
		words := strings.Fields(q)
		require.GreaterOrEqual(t, len(words), 2, q)
		require.LessOrEqual(t, len(words), 8, q)
		lengths[len(words)]++
		for _, w := range words {
			require.True(t, vocab[w], "%q in %q is not a vocabulary word", w, q)
		}
		require.LessOrEqual(t, len(q), mimo.MaxQueryBytes)
	}
	assert.Len(t, lengths, 7, "every length from 2 to 8 occurs: %v", lengths)
}

func TestVocabularyHasAFewThousandDistinctWords(t *testing.T) {
	all := map[string]bool{}
	for _, l := range [][]string{people, teams, projectHeads, projectTails, techs, environments,
		components, nouns, verbsPast, verbsBase, adjectives, adverbs, topics, preferences, places,
		weekdays, months, fileNames, reasons, sources, tagWords} {
		for _, w := range l {
			all[strings.ToLower(w)] = true
		}
	}
	assert.Greater(t, len(all), 2000)
}

func TestTruncateWords(t *testing.T) {
	assert.Equal(t, "short one.", truncateWords("short one.", 20))
	assert.Equal(t, "alpha beta.", truncateWords("alpha beta gamma delta", 15))
	assert.Equal(t, "alpha beta.", truncateWords("alpha beta, gamma", 12))
	// No space to cut at: cut inside the word, never inside a rune.
	got := truncateWords("ééééééééééé", 8)
	assert.True(t, utf8.ValidString(got), got)
	assert.LessOrEqual(t, len(got), 8)
	for _, s := range []string{strings.Repeat("word ", 100), strings.Repeat("é", 200)} {
		assert.LessOrEqual(t, len(truncateWords(s, maxContentBytes)), maxContentBytes)
	}
}

func TestTemplatesUseOnlyKnownSlots(t *testing.T) {
	assert.Panics(t, func() { mustParse("the {nosuchslot} here") })
	assert.Panics(t, func() { mustParse("the {noun here") })
	segs := mustParse("{^vpast} the {noun2}.")
	require.Len(t, segs, 3)
	assert.True(t, segs[0].upper)
	assert.Equal(t, " the ", segs[1].lit)
	assert.Equal(t, ".", segs[2].lit)
	for cat, ts := range templates {
		assert.True(t, cat.Valid(), cat)
		assert.NotEmpty(t, ts)
	}
	assert.Len(t, templates, len(mimo.Categories))
}
