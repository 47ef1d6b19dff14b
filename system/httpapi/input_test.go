package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/httpapi"
)

// TestBadInputIsA4xxAndNeverReachesTheService is the bad-input table: each
// request is answered with a JSON error of the given status before the
// Service is called.
func TestBadInputIsA4xxAndNeverReachesTheService(t *testing.T) {
	const limit = 4096
	oversized := `{"content":"` + strings.Repeat("a", limit) + `"}`

	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		mention                  string // a word the message must contain
	}{
		{"malformed JSON", "POST", "/api/memories", `{"content":`, 400, "malformed"},
		{"syntax error", "POST", "/api/memories", `{"content" "x"}`, 400, "malformed"},
		{"wrong type string field", "POST", "/api/memories", `{"content":42}`, 400, `"content"`},
		{"wrong type number field", "POST", "/api/memories", `{"content":"x","importance":"high"}`, 400, `"importance"`},
		{"wrong type array field", "POST", "/api/memories", `{"content":"x","tags":"a,b"}`, 400, `"tags"`},
		{"wrong type array item", "POST", "/api/memories", `{"content":"x","tags":[1]}`, 400, `"tags`},
		{"unknown field", "POST", "/api/memories", `{"content":"x","colour":"red"}`, 400, `"colour"`},
		{"trailing data", "POST", "/api/memories", `{"content":"x"} {"content":"y"}`, 400, "after"},
		{"trailing garbage", "POST", "/api/memories", `{"content":"x"}]`, 400, "after"},
		{"empty body", "POST", "/api/memories", ``, 400, "empty"},
		{"blank body", "POST", "/api/memories", " \n\t ", 400, "empty"},
		{"array body", "POST", "/api/memories", `[{"content":"x"}]`, 400, "object"},
		{"null body", "POST", "/api/memories", `null`, 400, "object"},
		{"not JSON at all", "POST", "/api/memories", `content=x`, 400, "object"},
		{"invalid UTF-8 in content", "POST", "/api/memories", "{\"content\":\"a\xffb\"}", 400, "UTF-8"},
		{"invalid UTF-8 in a key", "POST", "/api/memories", "{\"con\xc3tent\":\"x\"}", 400, "UTF-8"},
		{"oversized body", "POST", "/api/memories", oversized, 413, "bytes"},
		{"query on POST", "POST", "/api/memories?namespace=x", `{"content":"x"}`, 400, "namespace"},

		{"batch wrong type", "POST", "/api/memories/batch", `{"memories":{"content":"x"}}`, 400, `"memories"`},
		{"batch item unknown field", "POST", "/api/memories/batch", `{"memories":[{"content":"x","nope":1}]}`, 400, `"nope"`},
		{"batch item wrong type", "POST", "/api/memories/batch", `{"memories":[{"content":"x","importance":[]}]}`, 400, "importance"},
		{"batch oversized", "POST", "/api/memories/batch", `{"memories":[` + oversized + `]}`, 413, "bytes"},
		{"batch empty body", "POST", "/api/memories/batch", ``, 400, "empty"},

		{"search wrong type limit", "POST", "/api/search", `{"query":"x","limit":"ten"}`, 400, `"limit"`},
		{"search fractional limit", "POST", "/api/search", `{"query":"x","limit":2.5}`, 400, `"limit"`},
		{"search categories not array", "POST", "/api/search", `{"query":"x","categories":"fact"}`, 400, `"categories"`},
		{"search bad since", "POST", "/api/search", `{"query":"x","since":"yesterday"}`, 400, `"since"`},
		{"search bad until", "POST", "/api/search", `{"query":"x","until":"2026-13-01T00:00:00Z"}`, 400, `"until"`},
		{"search bool as string", "POST", "/api/search", `{"query":"x","include_superseded":"yes"}`, 400, "include_superseded"},
		{"search unknown field", "POST", "/api/search", `{"q":"x"}`, 400, `"q"`},
		{"ask unknown field", "POST", "/api/ask", `{"question":"x"}`, 400, `"question"`},
		{"ask wrong type", "POST", "/api/ask", `{"query":"x","limit":"five"}`, 400, `"limit"`},
		{"ask malformed", "POST", "/api/ask", `{"query":`, 400, ""},

		{"patch unknown field", "PATCH", "/api/memories/a", `{"id":"b"}`, 400, `"id"`},
		{"patch wrong type", "PATCH", "/api/memories/a", `{"importance":true}`, 400, `"importance"`},
		{"patch empty body", "PATCH", "/api/memories/a", ``, 400, "empty"},
		{"patch unknown query", "PATCH", "/api/memories/a?ns=x", `{"content":"c"}`, 400, `"ns"`},

		{"list bad limit", "GET", "/api/memories?limit=ten", "", 400, `"limit"`},
		{"list bad since", "GET", "/api/memories?since=2026-01-01", "", 400, `"since"`},
		{"list bad until", "GET", "/api/memories?until=tomorrow", "", 400, `"until"`},
		{"list bad bool", "GET", "/api/memories?include_superseded=maybe", "", 400, "include_superseded"},
		{"list unknown parameter", "GET", "/api/memories?namspace=team", "", 400, `"namspace"`},
		{"list repeated namespace", "GET", "/api/memories?namespace=a&namespace=b", "", 400, "namespace"},
		{"list bad escape", "GET", "/api/memories?namespace=%zz", "", 400, "query"},
		{"list invalid UTF-8", "GET", "/api/memories?namespace=%ff", "", 400, "UTF-8"},
		{"get unknown parameter", "GET", "/api/memories/a?verbose=1", "", 400, `"verbose"`},
		{"delete repeated namespace", "DELETE", "/api/memories/a?namespace=a&namespace=a", "", 400, "namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, httpapi.Options{MaxBodyBytes: limit})
			resp := e.do(tc.method, tc.path, tc.body)
			require.Equal(t, tc.code, resp.Code, "%s", resp.Body)
			want := "invalid"
			if tc.code == 413 {
				want = "too_large"
			}
			assert.Equal(t, want, resp.ErrorCode(t))
			msg := resp.JSON(t)["error"].(map[string]any)["message"].(string)
			assert.Contains(t, msg, tc.mention)
			assert.Empty(t, e.svc.Calls(), "the service must not be called")
		})
	}
}

func TestBodyJustUnderTheLimitIsAccepted(t *testing.T) {
	const limit = 4096
	body := `{"content":"` + strings.Repeat("a", limit-len(`{"content":""}`)) + `"}`
	require.Len(t, body, limit)
	e := newEnv(t, httpapi.Options{MaxBodyBytes: limit})
	resp := e.do("POST", "/api/memories", body)
	assert.Equal(t, http.StatusCreated, resp.Code, "%s", resp.Body)
}

func TestDefaultBodyLimitIsOneMiB(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	over := `{"content":"` + strings.Repeat("a", 1<<20) + `"}`
	assert.Equal(t, http.StatusRequestEntityTooLarge, e.do("POST", "/api/memories", over).Code)
	under := `{"content":"` + strings.Repeat("a", 1<<19) + `"}`
	assert.Equal(t, http.StatusCreated, e.do("POST", "/api/memories", under).Code)
}

func TestValidUnicodeAndEscapesPassThroughUnchanged(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	content := "naïve café — 東京 🚀 \"quoted\" \\ \u2028"
	var buf bytes.Buffer
	buf.WriteString(`{"content":"naïve café — 東京 🚀 \"quoted\" \\ \u2028"}`)
	resp := e.doBytes("POST", "/api/memories", buf.Bytes())
	require.Equal(t, http.StatusCreated, resp.Code, "%s", resp.Body)
	assert.Equal(t, content, e.svc.only(t).Arg.(mimo.StoreRequest).Content)
}
