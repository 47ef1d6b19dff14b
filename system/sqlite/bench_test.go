package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mimo/system"
	"mimo/system/internal/cputime"
	"mimo/system/storetest"
)

// Benchmark memories are sentences of three kinds of word: topic words
// (70, each in about one memory in twelve), rare words (2,000, each in
// about one in five hundred) and English stop words.
var (
	topicWords = strings.Fields(`alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima
		mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu
		server deploy database memory agent search index vector cache breaker latency request
		config rollout migration backup restore cluster replica network timeout retry queue
		kestrel otter walrus zebra giraffe heron badger falcon lynx marten`)
	benchStopWords = strings.Fields(`the a of to and in is it that for on with as was at by`)
	rareWords      = func() []string {
		syl := strings.Fields("ka lo mi ne pu ra si to vu ze bo da fi gu he")
		out := make([]string, 2000)
		for i := range out {
			out[i] = syl[i%15] + syl[(i/15)%15] + syl[(i/225)%15] + "x"
		}
		return out
	}()
)

func pick(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }

func benchContent(r *rand.Rand, i int) string {
	var words []string
	for range 6 {
		words = append(words, pick(r, topicWords))
	}
	for range 4 {
		words = append(words, pick(r, rareWords), pick(r, benchStopWords))
	}
	r.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
	return fmt.Sprintf("note %d: %s", i, strings.Join(words, " "))
}

// BenchmarkCreateMemories stores batches of 500 memories, each batch one
// transaction; memories/s is the ingest rate.
func BenchmarkCreateMemories(b *testing.B) {
	s := openStore(b)
	r := rand.New(rand.NewPCG(1, 2))
	const batch = 500
	n := 0
	for b.Loop() {
		b.StopTimer()
		ms := make([]*mimo.Memory, batch)
		for i := range ms {
			ms[i] = storetest.NewMemory("bench", benchContent(r, n))
			n++
		}
		b.StartTimer()
		res, err := s.CreateMemories(b.Context(), ms)
		require.NoError(b, err)
		require.Len(b, res, batch)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "memories/s")
}

// BenchmarkTextSearch searches 10,000 memories: "common" asks a question
// whose two topic words match about one memory in six, "rare" two rare
// words that match a few dozen.
func BenchmarkTextSearch(b *testing.B) {
	s := openStore(b)
	r := rand.New(rand.NewPCG(3, 4))
	const rows, batch = 10_000, 500
	for i := 0; i < rows; i += batch {
		ms := make([]*mimo.Memory, batch)
		for j := range ms {
			ms[j] = storetest.NewMemory("bench", benchContent(r, i+j))
		}
		_, err := s.CreateMemories(b.Context(), ms)
		require.NoError(b, err)
	}
	f := mimo.Filter{Namespace: "bench"}
	for name, query := range map[string]func() string{
		"common": func() string { return "what is the " + pick(r, topicWords) + " of the " + pick(r, topicWords) + "?" },
		"rare":   func() string { return pick(r, rareWords) + " " + pick(r, rareWords) },
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, err := s.TextSearch(b.Context(), query(), f, mimo.DefaultSearchLimit)
				require.NoError(b, err)
			}
		})
	}
}

// BenchmarkGetMemoriesNoVector reads 20 memories by id out of 10,000, as
// a search's final read of its shortlist does.
func BenchmarkGetMemoriesNoVector(b *testing.B) {
	s := openStore(b)
	r := rand.New(rand.NewPCG(5, 6))
	const rows, batch = 10_000, 500
	var ids []string
	for i := 0; i < rows; i += batch {
		ms := make([]*mimo.Memory, batch)
		for j := range ms {
			ms[j] = storetest.NewMemory("bench", benchContent(r, i+j))
			ids = append(ids, ms[j].ID)
		}
		_, err := s.CreateMemories(b.Context(), ms)
		require.NoError(b, err)
	}
	want := make([]string, 20)
	cpu := cputime.Process()
	for b.Loop() {
		for i := range want {
			want[i] = ids[r.IntN(len(ids))]
		}
		ms, err := s.GetMemoriesNoVector(b.Context(), "bench", want)
		require.NoError(b, err)
		require.NotEmpty(b, ms)
	}
	cputime.PerOp(b, cpu, b.N)
}

// BenchmarkTouchMemories records 1,000 accesses a call, as a busy second of
// searches does, among 100,000 memories with 384-float embeddings.
func BenchmarkTouchMemories(b *testing.B) {
	storetest.BenchTouch(b, openStore(b), 100_000, 1000)
}
