package standin_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"mimo/harness/standin"
)

func TestAnswerQuotesTheFirstSentenceOfTheContext(t *testing.T) {
	user := func(s string) standin.Message { return standin.Message{Role: "user", Content: s} }
	system := func(s string) standin.Message { return standin.Message{Role: "system", Content: s} }
	for _, tc := range []struct {
		name string
		msgs []standin.Message
		want string
	}{
		{"context header with bullets",
			[]standin.Message{system("Be brief."), user("Context:\n- The sky is blue. Grass is green.\n- Water is wet.\nQuestion: what colour is the sky?")},
			"The sky is blue."},
		{"text after the header",
			[]standin.Message{user("Context: Deploys happen on Tuesdays! Not Fridays.")},
			"Deploys happen on Tuesdays!"},
		{"markdown header, numbered list",
			[]standin.Message{user("## Memories\n\n1. Alice prefers tabs over spaces\n2. Bob likes vim\n\n## Question:\nwho likes tabs?")},
			"Alice prefers tabs over spaces"},
		{"markdown header with colon",
			[]standin.Message{user("**Memories:**\n[1] Release 2.4 shipped on May 3. It fixed the cache.")},
			"[1] Release 2.4 shipped on May 3."},
		{"line naming memories",
			[]standin.Message{user("Answer using only these memories:\n* The office is in Lyon.\n\nQuery: where is the office?")},
			"The office is in Lyon."},
		{"context tags",
			[]standin.Message{user("Use this. <context>Cats sleep 16 hours a day. They purr.</context> How long do cats sleep?")},
			"Cats sleep 16 hours a day."},
		{"context tags over lines",
			[]standin.Message{user("<context>\nThe build uses Go 1.26.\n</context>\nWhich Go?")},
			"The build uses Go 1.26."},
		{"context in the system message",
			[]standin.Message{system("You are Mimo.\nRelevant memories:\n- The API key rotates monthly.\n"), user("How often does the key rotate?")},
			"The API key rotates monthly."},
		{"user context wins over system context",
			[]standin.Message{system("Context: from the system."), user("Context: from the user.")},
			"from the user."},
		{"last user message wins",
			[]standin.Message{user("Context: old question."), {Role: "assistant", Content: "ok"}, user("Context: new question.")},
			"new question."},
		{"no section: the last user message",
			[]standin.Message{system("Be helpful."), user("Tell me about Paris. And Rome.")},
			"Tell me about Paris."},
		{"empty section falls through",
			[]standin.Message{user("Context:\n\nQuestion: anything?")},
			"Context:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, standin.AnswerPrefix+tc.want, standin.Answer(tc.msgs))
		})
	}
}

func TestAnswerWithNothingToQuote(t *testing.T) {
	assert.Equal(t, standin.NoAnswer, standin.Answer(nil))
	assert.Equal(t, standin.NoAnswer, standin.Answer([]standin.Message{{Role: "user", Content: "  \n "}}))
	assert.Equal(t, standin.NoAnswer, standin.Answer([]standin.Message{{Role: "system", Content: "Be brief."}}))
}

func TestAnswerQuoteIsBounded(t *testing.T) {
	long := strings.Repeat("word ", 1000)
	got := standin.Answer([]standin.Message{{Role: "user", Content: "Context: " + long}})
	assert.LessOrEqual(t, len(got), len(standin.AnswerPrefix)+500)
	assert.True(t, strings.HasPrefix(got, standin.AnswerPrefix+"word word"))
	assert.False(t, strings.HasSuffix(got, " "), "cut at a word")

	runes := strings.Repeat("é", 400) // 800 bytes, no space
	got = standin.Answer([]standin.Message{{Role: "user", Content: runes}})
	assert.True(t, strings.HasPrefix(got, standin.AnswerPrefix+"éé"))
	assert.True(t, strings.ToValidUTF8(got, "?") == got, "never cut inside a rune")
}
