package embed

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
)

func TestBuiltinWordNetModel(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{WordNet: true})
	if b.Model() != "mimo-builtin-v2-wordnet1-384" || b.Dim() != 384 {
		t.Fatalf("WordNet: model %q dim %d", b.Model(), b.Dim())
	}
	if !strings.HasPrefix(b.Model(), BuiltinModelPrefix) || !strings.HasPrefix(NewBuiltin(BuiltinOptions{}).Model(), BuiltinModelPrefix) {
		t.Fatal("a built-in model does not start with BuiltinModelPrefix")
	}
}

func TestEmbeddedWordNetTableParses(t *testing.T) {
	l, err := parseLexicon(wordnetTable)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.words) < 50000 {
		t.Fatalf("the table holds %d stems, want tens of thousands", len(l.words))
	}
	for _, w := range []string{"physician", "knee", "automobile", "blood pressure"} {
		var key []byte
		for i, part := range strings.Fields(w) {
			if i > 0 {
				key = append(key, ' ')
			}
			key = appendStem(key, []byte(part))
		}
		refs := l.lookup(key)
		if len(refs) == 0 || len(refs) > maxConcepts {
			t.Errorf("%q has %d features, want 1..%d", w, len(refs), maxConcepts)
		}
	}
}

func TestParseLexiconRejectsBrokenTables(t *testing.T) {
	for name, text := range map[string]string{
		"no header":       "car\t1S50\tvehicle50\n",
		"two columns":     "mimo-wordnet 1\ncar\t1S50\n",
		"no kind":         "mimo-wordnet 1\ncar\t150\t\n",
		"bad weight":      "mimo-wordnet 1\ncar\t1S500\t\n",
		"gloss unweighed": "mimo-wordnet 1\ncar\t1S50\tvehicle\n",
	} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(text))
		_ = zw.Close()
		if _, err := parseLexicon(buf.Bytes()); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := parseLexicon([]byte("not gzip")); err == nil {
		t.Error("not gzip: parsed")
	}
}

// With the table, words that share no letters but a meaning come closer:
// synonyms, a word and its broader term, a two-word term and a word whose
// definition uses it. Without it they are unrelated.
func TestBuiltinWordNetBringsSynonymsAndBroaderTermsCloser(t *testing.T) {
	plain, wn := NewBuiltin(BuiltinOptions{}), NewBuiltin(BuiltinOptions{WordNet: true})
	for _, p := range [][2]string{
		{"the automobile is parked outside", "the car is parked outside"},
		{"my physician", "my doctor"},
		{"she bought a sedan", "she bought a car"},
		{"renew the passport", "renew the travel document"},
		{"my knee hurts", "my joint hurts"},
	} {
		before := cosine(embedOne(t, plain, p[0]), embedOne(t, plain, p[1]))
		after := cosine(embedOne(t, wn, p[0]), embedOne(t, wn, p[1]))
		if after <= before {
			t.Errorf("%q ~ %q: %.3f with WordNet, %.3f without", p[0], p[1], after, before)
		}
	}
	related := cosine(embedOne(t, wn, "my physician"), embedOne(t, wn, "my doctor"))
	unrelated := cosine(embedOne(t, wn, "my physician"), embedOne(t, wn, "my banana"))
	if related <= unrelated {
		t.Errorf("physician~doctor %.3f is not above physician~banana %.3f", related, unrelated)
	}
}

// The table changes nothing for a text none of whose words it knows, and
// the vectors stay deterministic and of unit length.
func TestBuiltinWordNetDeterministicUnitVectors(t *testing.T) {
	a, b := NewBuiltin(BuiltinOptions{WordNet: true}), NewBuiltin(BuiltinOptions{WordNet: true})
	text := "Dr Okafor is the orthopaedist I see for my leg joint."
	va, vb := embedOne(t, a, text), embedOne(t, b, text)
	for i := range va {
		if va[i] != vb[i] {
			t.Fatalf("not deterministic at %d", i)
		}
	}
	if n := norm(va); n < 0.999 || n > 1.001 {
		t.Fatalf("norm %f", n)
	}
	plain := NewBuiltin(BuiltinOptions{})
	unknown := "zxqv 12345 k8s"
	vp, vw := embedOne(t, plain, unknown), embedOne(t, a, unknown)
	if c := cosine(vp, vw); c < 0.9999 {
		t.Fatalf("a text of words the table does not know changed: cosine %f", c)
	}
	if _, err := a.Embed(context.Background(), []string{""}); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkBuiltinEmbedWordNet(b *testing.B) {
	sentence := "The deployment uses Postgres 16 behind a connection pooler; queries time out after thirty seconds under load. "
	text := strings.Repeat(sentence, 2)[:200]
	e := NewBuiltin(BuiltinOptions{WordNet: true})
	ctx := context.Background()
	texts := []string{text}
	if _, err := e.Embed(ctx, texts); err != nil { // parses the table
		b.Fatal(err)
	}
	b.SetBytes(200)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWordNetTableParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseLexicon(wordnetTable); err != nil {
			b.Fatal(err)
		}
	}
}
