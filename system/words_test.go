package mimo_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
)

func TestSearchWords(t *testing.T) {
	for in, want := range map[string][]string{
		"":                             nil,
		"*** ---":                      nil,
		`"unbalanced`:                  {"unbalanced"},
		`a OR b NOT c`:                 {"b", "c"},
		`NEAR(x y, 2)`:                 {"near", "x", "y", "2"},
		`foo:* bar*`:                   {"foo", "bar"},
		`!(x) & y | z`:                 {"x", "y", "z"},
		`'; DROP TABLE memories; --`:   {"drop", "table", "memories"},
		`Zürich zürich ZÜRICH`:         {"zürich"},
		`東京 タワー`:                       {"東京", "タワー"},
		"नमस्ते दुनिया":                {"नमस्ते", "दुनिया"},
		"tab\tand\nnewline\x00nul":     {"tab", "newline", "nul"},
		"\xff\xfe broken utf8 \xc3":    {"broken", "utf8"},
		`e-mail user@example.com 3.14`: {"e", "mail", "user", "example", "com", "3", "14"},
		"What is the deploy key?":      {"deploy", "key"},
		"how does the app reach it":    {"app", "reach", "application"},
		"The Who":                      {"the", "who"},
		"can I ssh into a prod box?":   {"ssh", "prod", "box", "production"},
		"open a PR for the repo":       {"open", "pr", "repo", "pull", "request", "repository"},
		"prod production":              {"prod", "production"},
	} {
		assert.Equal(t, want, mimo.SearchWords(in), "%q", in)
	}
}

func TestSearchWordsBounds(t *testing.T) {
	var ws []string
	for i := range 100 {
		ws = append(ws, fmt.Sprintf("w%d", i))
	}
	got := mimo.SearchWords(strings.Repeat("word the ", 10) + strings.Join(ws, " "))
	assert.Len(t, got, mimo.MaxSearchWords)
	assert.Equal(t, "word", got[0])
	assert.Equal(t, "w0", got[1], "stop words do not take a place")

	// Expansions never push the count over the bound.
	got = mimo.SearchWords(strings.Repeat("db k8s ", 3) + strings.Join(ws[:40], " "))
	assert.Len(t, got, mimo.MaxSearchWords)
	assert.Equal(t, []string{"db", "k8s", "w0"}, got[:3])

	long := strings.Repeat("é", 100) // 200 bytes
	got = mimo.SearchWords(long)
	require.Len(t, got, 1)
	assert.Equal(t, strings.Repeat("é", mimo.MaxSearchWordBytes/2), got[0], "cut on a character boundary")
}

func TestWordLists(t *testing.T) {
	for _, w := range mimo.CommonWords() {
		assert.False(t, mimo.IsStopWord(w), "%q is a stop word and a common word", w)
		assert.True(t, mimo.IsCommonWord(w), w)
		assert.Equal(t, strings.ToLower(w), w)
	}
	for _, w := range []string{"what", "which", "when", "where", "how", "who", "why", "does", "do"} {
		assert.True(t, mimo.IsStopWord(w), "question word %q", w)
	}
	for _, w := range []string{"use", "get", "need", "long", "often", "many", "like", "main", "app"} {
		assert.True(t, mimo.IsCommonWord(w), w)
	}
	assert.False(t, mimo.IsCommonWord("kubernetes"))
	assert.Equal(t, "database", mimo.Expansion("db"))
	assert.Equal(t, "", mimo.Expansion("database"))
	assert.Equal(t, "", mimo.Expansion("DB"), "words are lower-cased before they are looked up")
}
