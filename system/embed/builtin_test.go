package embed

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	mimo "mimo/system"
)

func embedOne(t testing.TB, b *Builtin, text string) []float32 {
	t.Helper()
	vs, err := b.Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatalf("Embed(%q): %v", text, err)
	}
	if len(vs) != 1 || len(vs[0]) != b.Dim() {
		t.Fatalf("Embed(%q) returned %d vectors of %d", text, len(vs), len(vs[0]))
	}
	return vs[0]
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestBuiltinModelAndDim(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	if b.Dim() != 384 || b.Model() != "mimo-builtin-v2-384" {
		t.Fatalf("zero options: dim %d model %q", b.Dim(), b.Model())
	}
	b = NewBuiltin(BuiltinOptions{Dim: 64})
	if b.Dim() != 64 || b.Model() != "mimo-builtin-v2-64" {
		t.Fatalf("dim 64: dim %d model %q", b.Dim(), b.Model())
	}
	if got := NewBuiltin(BuiltinOptions{Dim: -3}).Dim(); got != 384 {
		t.Fatalf("negative dim gave %d, want 384", got)
	}
	var _ mimo.Embedder = b
}

func TestBuiltinDeterministic(t *testing.T) {
	texts := []string{
		"The deployment uses Postgres 16 behind a connection pooler.",
		"Alice prefers dark mode in every editor she uses.",
		"",
		"数据库连接池 🚀 café naïve",
	}
	a := NewBuiltin(BuiltinOptions{})
	b := NewBuiltin(BuiltinOptions{}) // a separate instance must agree
	first, err := a.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		for _, e := range []*Builtin{a, b} {
			again, err := e.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range texts {
				for j := range first[i] {
					if math.Float32bits(first[i][j]) != math.Float32bits(again[i][j]) {
						t.Fatalf("text %d component %d: %v then %v", i, j, first[i][j], again[i][j])
					}
				}
			}
		}
	}
	// Batch position must not matter either.
	single := embedOne(t, a, texts[1])
	for j := range single {
		if single[j] != first[1][j] {
			t.Fatalf("embedding alone differs from embedding in a batch at %d", j)
		}
	}
}

// A fixed vector pins the algorithm: if this changes, BuiltinVersion must
// change too, because stored vectors would no longer be comparable.
func TestBuiltinStableAcrossReleases(t *testing.T) {
	v := embedOne(t, NewBuiltin(BuiltinOptions{Dim: 16}), "Running the migration stores 42 rows")
	want := goldenVector
	for i := range v {
		if math.Abs(float64(v[i]-want[i])) > 1e-6 {
			t.Fatalf("component %d = %v, want %v (full vector %v); bump BuiltinVersion if the algorithm changed on purpose", i, v[i], want[i], v)
		}
	}
}

func TestBuiltinUnitNorm(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	for _, text := range []string{
		"a single content word: database",
		"Short.",
		strings.Repeat("the same words again and again ", 200),
		"ÀÉÎÕÜ ß İstanbul ΑΒΓ Ωμέγα Привет мир",
		"東京は日本の首都です。",
		"🚀🔥👍",
		"x",
	} {
		v := embedOne(t, b, text)
		if n := norm(v); math.Abs(n-1) > 1e-5 {
			t.Errorf("%.30q: norm %v, want 1", text, n)
		}
	}
}

func TestBuiltinZeroVectorForFeaturelessText(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	for _, text := range []string{"", "!!!", "   \n\t", "...,;:-", "\xff\xfe"} {
		v := embedOne(t, b, text)
		for i, x := range v {
			if x != 0 {
				t.Fatalf("%q: component %d = %v, want the zero vector", text, i, x)
			}
		}
	}
	other := embedOne(t, b, "some real text")
	if c := cosine(embedOne(t, b, ""), other); c != 0 || math.IsNaN(c) {
		t.Fatalf("cosine with the zero vector = %v, want 0", c)
	}
}

// Each pair holds a sentence, a rewording of it (same content words, other
// function words and inflections) and an unrelated sentence.
var paraphrases = []struct{ a, para, unrelated string }{
	{"The user prefers dark mode in the editor.", "User preferred a dark mode for editors.", "Quarterly revenue grew by eight percent."},
	{"We are running the database migrations tonight.", "The database migration runs tonight.", "My cat likes sleeping on the warm windowsill."},
	{"Postgres connection pool is exhausted under load.", "Under load, the Postgres connection pools get exhausted.", "She bought fresh tomatoes at the market."},
	{"Deploy the API server to the staging cluster.", "The API servers were deployed to a staging cluster.", "Birds migrate south when winter arrives."},
	{"The invoice was sent to the customer on Monday.", "On Monday we sent the customer an invoice.", "The kernel panicked after the driver update."},
	{"Alice is allergic to peanuts.", "Alice has a peanut allergy.", "The train to Berlin leaves at nine."},
	{"Remember to renew the TLS certificates before they expire.", "TLS certificate renewal must happen before expiry.", "Grandma's apple pie recipe uses cinnamon."},
	{"The tests failed because the cache was stale.", "A stale cache made the test fail.", "Mount Everest is the highest mountain on Earth."},
	{"Bob stores backups in an S3 bucket every night.", "Every night Bob is storing the backup in S3 buckets.", "The orchestra played Beethoven's ninth symphony."},
	{"Users complained that search results were slow.", "A user complains about slow search result pages.", "Photosynthesis converts light into chemical energy."},
	{"The meeting with the design team moved to Thursday.", "Design team meeting is moved to Thursday.", "Rust's borrow checker prevents data races."},
	{"Kubernetes pods restart when the liveness probe fails.", "A failing liveness probe restarts the Kubernetes pod.", "He painted the fence white last summer."},
}

func TestBuiltinParaphraseBeatsUnrelated(t *testing.T) {
	const margin = 0.25
	b := NewBuiltin(BuiltinOptions{})
	for _, p := range paraphrases {
		a, para, un := embedOne(t, b, p.a), embedOne(t, b, p.para), embedOne(t, b, p.unrelated)
		cp, cu := cosine(a, para), cosine(a, un)
		t.Logf("%.40q: paraphrase %.3f unrelated %.3f", p.a, cp, cu)
		if cp < cu+margin {
			t.Errorf("%q: paraphrase cosine %.3f is not above unrelated %.3f by %.2f", p.a, cp, cu, margin)
		}
	}
}

func TestBuiltinInflectionsMeet(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	for _, group := range [][]string{
		{"run", "runs", "running"},
		{"store", "stores", "stored", "storing"},
		{"query", "queries", "queried"},
		{"box", "boxes"},
		{"cache", "caches", "cached", "caching"},
		{"stop", "stopped", "stopping"},
	} {
		base := embedOne(t, b, group[0])
		for _, w := range group[1:] {
			if c := cosine(base, embedOne(t, b, w)); c < 0.999 {
				t.Errorf("%q vs %q: cosine %.3f, want the same stem", group[0], w, c)
			}
		}
	}
}

func TestBuiltinSubwordOverlap(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	for _, p := range [][2]string{
		{"postgres", "postgresql"},
		{"kubernetes", "kubernetes-operator"},
		{"embedding", "embedder"},
		{"configuration", "reconfiguration"},
	} {
		if c := cosine(embedOne(t, b, p[0]), embedOne(t, b, p[1])); c < 0.2 {
			t.Errorf("%q vs %q: cosine %.3f, want clearly positive", p[0], p[1], c)
		}
	}
}

func TestBuiltinPhraseOrderMatters(t *testing.T) {
	// Same words, so word features agree; bigrams make the phrase that
	// keeps the word order closer.
	b := NewBuiltin(BuiltinOptions{})
	q := embedOne(t, b, "connection pool timeout")
	same := embedOne(t, b, "the connection pool timeout was raised")
	shuffled := embedOne(t, b, "timeout raised pool connection")
	if cs, cx := cosine(q, same), cosine(q, shuffled); cs <= cx {
		t.Fatalf("in-order phrase %.3f not above shuffled %.3f", cs, cx)
	}
}

func TestBuiltinStopWordsCountLittle(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	a := embedOne(t, b, "the cat is on the mat")
	c := embedOne(t, b, "the dog is in the house")
	if got := cosine(a, c); got > 0.2 {
		t.Fatalf("sentences sharing only function words: cosine %.3f, want small", got)
	}
}

func TestBuiltinUnicodeAndInvalidInput(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	inputs := []string{
		"東京は日本の首都です", "東京の天気", "서울은 한국의 수도입니다", "Ελληνικά κείμενα",
		"café crème brûlée", "🚀🔥💯 launch", "\xff\xfe\xfd", "valid \xc3\x28 invalid",
		"a\x00b", strings.Repeat("é", 10000), strings.Repeat("x", 100000), "\u0301\u0301\u0301",
		"ﬀ ǅ İ ẞ", "\U0010FFFF", string([]byte{0xed, 0xa0, 0x80}),
	}
	vs, err := b.Embed(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		checkFinite(t, inputs[i], v, b.Dim())
	}
	// CJK texts sharing characters are similar; accented words match their
	// own repetitions.
	if c := cosine(embedOne(t, b, "東京は日本の首都です"), embedOne(t, b, "東京の天気")); c <= 0.1 {
		t.Errorf("CJK texts sharing 東京: cosine %.3f", c)
	}
	if c := cosine(embedOne(t, b, "CAFÉ"), embedOne(t, b, "café")); c < 0.999 {
		t.Errorf("case folding of accented letters: cosine %.3f", c)
	}
}

func checkFinite(t testing.TB, text string, v []float32, dim int) {
	t.Helper()
	if len(v) != dim {
		t.Fatalf("%.40q: %d components, want %d", text, len(v), dim)
	}
	var s float64
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("%.40q: component %d is %v", text, i, x)
		}
		s += float64(x) * float64(x)
	}
	if s != 0 && math.Abs(math.Sqrt(s)-1) > 1e-5 {
		t.Fatalf("%.40q: norm %v, want 0 or 1", text, math.Sqrt(s))
	}
}

func TestBuiltinCancelled(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Embed(ctx, []string{"one", "two"})
	if mimo.ErrorCode(err) != mimo.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Embed: %v, want EUNAVAILABLE wrapping context.Canceled", err)
	}
	vs, err := b.Embed(context.Background(), nil)
	if err != nil || len(vs) != 0 {
		t.Fatalf("empty batch: %v, %v", vs, err)
	}
}

func FuzzBuiltinEmbed(f *testing.F) {
	for _, s := range []string{
		"", "!!!", "hello world", "The quick brown fox jumps over the lazy dog.",
		"東京は日本の首都です", "🚀", "\xff", "running stores queried", "ies", "sses", "eed", "lying",
		"a'b’c", strings.Repeat("ab", 100),
	} {
		f.Add(s)
	}
	b := NewBuiltin(BuiltinOptions{Dim: 96})
	f.Fuzz(func(t *testing.T, s string) {
		vs, err := b.Embed(context.Background(), []string{s, s})
		if err != nil {
			t.Fatal(err)
		}
		checkFinite(t, s, vs[0], 96)
		for i := range vs[0] {
			if vs[0][i] != vs[1][i] {
				t.Fatalf("%q: not deterministic at %d", s, i)
			}
		}
	})
}

func BenchmarkBuiltinEmbed(b *testing.B) {
	sentence := "The deployment uses Postgres 16 behind a connection pooler; queries time out after thirty seconds under load. "
	for _, size := range []int{200, 4096} {
		text := strings.Repeat(sentence, size/len(sentence)+1)[:size]
		b.Run(byteSize(size), func(b *testing.B) {
			e := NewBuiltin(BuiltinOptions{})
			ctx := context.Background()
			texts := []string{text}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Embed(ctx, texts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string {
	if n%1024 == 0 {
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

var goldenVector = []float32{
	-0.11976581, 0.09741629, -0.19960968, 0.19960968, 0.39921936, 0.13307312, -0.39921936, 0.23048942,
	0.46575594, -0.035656836, -0.19960968, 0, 0.33268282, -0.13307312, 0.23048942, -0.2594926,
}

func TestBuiltinContractionsAndPossessives(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	if c := cosine(embedOne(t, b, "Alice's laptop"), embedOne(t, b, "alice laptop")); c < 0.99 {
		t.Errorf("possessive: cosine %.3f", c)
	}
	if c := cosine(embedOne(t, b, "don't deploy on fridays"), embedOne(t, b, "do not deploy on friday")); c < 0.97 {
		t.Errorf("contraction: cosine %.3f", c)
	}
}

func TestBuiltinCommonWordsCountLess(t *testing.T) {
	// Sharing only a frequent word ("using") must bring texts less close
	// than sharing only a rarer one ("kafka").
	b := NewBuiltin(BuiltinOptions{})
	q := embedOne(t, b, "using kafka")
	common := cosine(q, embedOne(t, b, "they are using it"))
	rare := cosine(q, embedOne(t, b, "they run kafka"))
	if common >= rare {
		t.Fatalf("sharing a common word: cosine %.3f, not below sharing a rare one: %.3f", common, rare)
	}
}

func TestBuiltinAbbreviationsMeetFullForm(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	for _, p := range [][3]string{
		{"the prod db", "the production database", "the weekly newsletter"},
		{"k8s cluster", "kubernetes cluster", "garden fence"},
		{"repo config", "repository configuration", "lunch menu"},
	} {
		short, long, other := embedOne(t, b, p[0]), embedOne(t, b, p[1]), embedOne(t, b, p[2])
		if c, u := cosine(short, long), cosine(short, other); c < 0.4 || c < u+0.3 {
			t.Errorf("%q vs %q: cosine %.3f (unrelated %.3f), want them close", p[0], p[1], c, u)
		}
	}
}
