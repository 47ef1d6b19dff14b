package memory_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"mimo/system/embed"
)

// The built-in embedder's word vectors distilled from WordNet
// (embed.BuiltinOptions.WordVectors, off by default) measured on both
// retrieval sets; docs/BENCHMARKS.md, "Word vectors distilled from
// WordNet", has the figures.

// Floors of the hybrid search on the paraphrases' held-out half with the
// word vectors: the figures measured on 2026-12-03 (recall@1 0.143,
// recall@5 0.310, MRR 0.242 on both stores; without them 0.048, 0.143,
// 0.093) less a small margin.
var wordVectorParaphraseFloors = retrievalFigures{RecallAt1: 0.12, RecallAt5: 0.28, MRR: 0.21}

func TestRetrievalParaphrasesWordVectors(t *testing.T) {
	set := loadRetrievalSet(t, paraphraseSetPath, setMinimums{facts: minParaphraseFacts, distractors: minParaphraseDistractors, questions: minParaphraseQuestions})
	report := measureRetrieval(t, "fixtures/retrieval/paraphrases.json", set, embed.BuiltinOptions{WordVectors: true}, retrievalFigures{}, os.Getenv(paraphraseOutEnv+"_VECTORS"))
	for name, st := range report.Stores {
		held := st.ByHalf[halfHeldOut]
		assert.GreaterOrEqual(t, held.Hybrid.RecallAt1, wordVectorParaphraseFloors.RecallAt1, "%s: held-out hybrid recall@1", name)
		assert.GreaterOrEqual(t, held.Hybrid.RecallAt5, wordVectorParaphraseFloors.RecallAt5, "%s: held-out hybrid recall@5", name)
		assert.GreaterOrEqual(t, held.Hybrid.MRR, wordVectorParaphraseFloors.MRR, "%s: held-out hybrid MRR", name)
	}
}

// TestRetrievalQualityWordVectors measures the word-sharing set with the
// word vectors. It runs only with MIMO_RETRIEVAL_WORD_VECTORS=1, because
// today it fails checkRetrieval's rule that the hybrid search never ranks
// below the text index alone (measured on 2026-12-03: hybrid MRR 0.353
// against the text index's 0.389, recall@5 0.569 against 0.611), which is why the vectors are off by
// default; it is kept to measure the next fusion or table against.
func TestRetrievalQualityWordVectors(t *testing.T) {
	if os.Getenv("MIMO_RETRIEVAL_WORD_VECTORS") != "1" {
		t.Skip("set MIMO_RETRIEVAL_WORD_VECTORS=1 to measure")
	}
	set := loadRetrievalSet(t, retrievalSetPath, setMinimums{facts: minFacts, distractors: minDistractors, questions: minQuestions})
	measureRetrieval(t, "fixtures/retrieval/set.json", set, embed.BuiltinOptions{WordVectors: true}, retrievalFigures{}, os.Getenv(retrievalOutEnv+"_VECTORS"))
}
