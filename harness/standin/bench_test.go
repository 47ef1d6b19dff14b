package standin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mimo/harness/standin"
)

func benchRoute(b *testing.B, route, body string) {
	s := standin.New(standin.Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, route, strings.NewReader(body))
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("%s: %d %s", route, w.Code, w.Body)
			}
		}
	})
}

func BenchmarkOllamaEmbed768(b *testing.B) {
	benchRoute(b, "/api/embed", `{"model":"m","input":"The staging database is Postgres 15 on db-2, upgraded in May"}`)
}

func BenchmarkOpenAIChat(b *testing.B) {
	benchRoute(b, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"`+
		`Context:\n- The staging database is Postgres 15 on db-2.\n- Deploys happen on Tuesdays.\nQuestion: which database?"}]}`)
}

func BenchmarkOllamaChatStream(b *testing.B) {
	benchRoute(b, "/api/chat", `{"model":"m","messages":[{"role":"user","content":"Context: The sky is blue. Question: colour?"}]}`)
}

func BenchmarkEmbed768(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		standin.Embed("The staging database is Postgres 15 on db-2, upgraded in May", 768)
	}
}
