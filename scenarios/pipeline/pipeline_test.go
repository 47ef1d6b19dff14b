// Package pipeline is the validation scenario of Mimo's basic pipeline on
// Postgres: every call crosses Toxiproxy, and the test proves it does by
// what the proxy's faults do to Mimo.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/harness"
	"mimo/harness/latency"
	"mimo/harness/mimoclient"
	"mimo/harness/record"
	"mimo/harness/standin"
	"mimo/harness/toxics"
	mimo "mimo/system"
)

// readyWithin bounds how long Mimo may take to be ready again once its
// database is back; the condition, not the bound, is what the test waits
// for.
const readyWithin = 60 * time.Second

func TestPipelineThroughProxiesOnPostgres(t *testing.T) {
	rec := record.New(t, "Store, search, ask, get and delete work end to end on Postgres, over REST and MCP, with every database call crossing Toxiproxy, and survive the proxy going down, a latency toxic, Postgres being killed and Mimo restarting")
	began := time.Now()
	env := harness.Start(t, harness.Options{Record: rec})
	rec.Measure("harness_start", float64(time.Since(began).Milliseconds()), "ms")
	c := env.Client()
	ctx := context.Background()
	const ns = "pipeline"
	// timed runs one step and records how long it took as step_<name>.
	timed := func(name string, step func()) {
		began := time.Now()
		step()
		rec.Measure("step_"+name, latency.MS(time.Since(began)), "ms")
	}

	// Store.
	imp := 0.8
	var stored *mimo.StoreResult
	var err error
	timed("store", func() {
		stored, err = c.Store(ctx, mimo.StoreRequest{
			Namespace:  ns,
			Content:    "The deploy pipeline for the billing service runs every night at two",
			Category:   mimo.CategoryFact,
			Importance: &imp,
			Tags:       []string{"billing", "deploy"},
		})
	})
	require.NoError(t, err)
	require.True(t, stored.Created, "a new memory is created, not queued or found")
	id := stored.Memory.ID
	require.NotEmpty(t, id)

	again, err := c.Store(ctx, mimo.StoreRequest{Namespace: ns, Content: stored.Memory.Content})
	require.NoError(t, err)
	assert.False(t, again.Created, "identical content is stored once")
	assert.Equal(t, id, again.Memory.ID)

	// Get.
	var got *mimo.Memory
	timed("get", func() { got, err = c.Get(ctx, ns, id) })
	require.NoError(t, err)
	assert.Equal(t, stored.Memory.Content, got.Content)
	assert.Equal(t, ns, got.Namespace)
	assert.Equal(t, 0.8, got.Importance)
	assert.ElementsMatch(t, []string{"billing", "deploy"}, got.Tags)

	// Search.
	var page *mimo.SearchPage
	timed("search", func() {
		page, err = c.Search(ctx, mimo.SearchQuery{Filter: mimo.Filter{Namespace: ns}, Query: "when does the billing deploy run"})
	})
	require.NoError(t, err)
	require.NotEmpty(t, page.Results, "the stored memory is found")
	assert.Equal(t, id, page.Results[0].Memory.ID)

	// Ask: the stand-in's LLM, reached through the llm proxy, answers from
	// the memory found (it quotes the first memory it is given).
	var ans *mimo.Answer
	timed("ask", func() {
		ans, err = c.Ask(ctx, mimo.AskRequest{Namespace: ns, Query: "When does the billing deploy pipeline run?"})
	})
	require.NoError(t, err)
	require.NotEmpty(t, ans.Sources)
	assert.Equal(t, id, ans.Sources[0].ID, "the answer's first source is the stored memory")
	assert.False(t, ans.Degraded, "the model answered: %s", ans.Reason)
	assert.True(t, strings.HasPrefix(ans.Answer, standin.AnswerPrefix), "the stand-in's answer: %q", ans.Answer)
	assert.Contains(t, ans.Answer, "The deploy pipeline for the billing service runs every night at two", "made from the memory found")
	counters, err := env.Standin().Counters(ctx)
	require.NoError(t, err)
	assert.Positive(t, counters.Models[harness.StandinLLMModel], "the stand-in was asked, by Mimo's model name")
	rec.Evidence("response", "POST /api/ask → "+ans.Answer)

	// MCP reaches the same service: a memory stored with memory_store is
	// read over REST, and memory_search finds the one stored over REST.
	t.Run("MCP tools and REST agree", func(t *testing.T) {
		cs := env.MCP(t)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "memory_store", Arguments: map[string]any{
			"namespace": ns, "content": "The MCP door remembers that the staging certificates renew on Fridays",
		}})
		require.NoError(t, err)
		require.False(t, res.IsError, "memory_store: %v", res.Content)
		var out struct {
			Status string `json:"status"`
			Memory struct {
				ID string `json:"id"`
			} `json:"memory"`
		}
		decode(t, res.StructuredContent, &out)
		assert.Equal(t, "created", out.Status)
		viaREST, err := c.Get(ctx, ns, out.Memory.ID)
		require.NoError(t, err)
		assert.Contains(t, viaREST.Content, "certificates renew on Fridays")

		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "memory_search", Arguments: map[string]any{
			"namespace": ns, "query": "when does the billing deploy run",
		}})
		require.NoError(t, err)
		require.False(t, res.IsError, "memory_search: %v", res.Content)
		var found struct {
			Results []struct {
				Memory struct {
					ID string `json:"id"`
				} `json:"memory"`
			} `json:"results"`
		}
		decode(t, res.StructuredContent, &found)
		require.NotEmpty(t, found.Results)
		assert.Equal(t, id, found.Results[0].Memory.ID, "MCP search finds what REST stored")

		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "memory_store", Arguments: map[string]any{"content": ""}})
		require.NoError(t, err, "bad input is a tool error, not a protocol error")
		assert.True(t, res.IsError)
		rec.Evidence("note", "memory_store over MCP stored "+out.Memory.ID+", read back over REST; memory_search found "+id)
	})

	// The database is reached through the postgres proxy: with the proxy
	// down Mimo cannot read what its read cache does not hold (a memory
	// it never saw), and once it is up again Mimo recovers.
	pg := env.Proxy(harness.ProxyPostgres)
	t.Run("database proxy down and up", func(t *testing.T) {
		restore := toxics.Cut(t, pg)
		_, err := c.Get(ctx, ns, uncachedID)
		require.Error(t, err, "a read the cache cannot serve, with the database proxy down, fails")
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "and says a dependency is unavailable: %v", err)

		restore()
		env.WaitForReady(t, readyWithin) // once its database proxy is up
		got, err := c.Get(ctx, ns, id)
		require.NoError(t, err)
		assert.Equal(t, id, got.ID)
	})

	// A latency toxic on the database proxy delays reads by at least its
	// latency: each read makes at least one round trip to Postgres, and the
	// toxic holds every answer that long. Only the lower bound is checked;
	// it cannot be met by chance.
	t.Run("latency toxic slows reads", func(t *testing.T) {
		const latencyMS = 400
		remove := toxics.Add(t, pg, toxics.Must(toxics.Latency(latencyMS, 0)))
		r, err := c.Do(ctx, http.MethodGet, mimoclient.MemoryPath(ns, id), nil)
		require.NoError(t, err)
		require.NoError(t, r.Err())
		assert.GreaterOrEqual(t, r.Elapsed, latencyMS*time.Millisecond, "a read through a %d ms latency toxic", latencyMS)
		rec.Measure("get_with_400ms_toxic", latency.MS(r.Elapsed), "ms")
		remove()
	})

	// Memories live in Postgres, not in Mimo: they survive the database
	// being killed and started again, and Mimo being restarted.
	t.Run("database crash and Mimo restart", func(t *testing.T) {
		env.Kill(harness.Postgres)
		env.StartContainer(harness.Postgres)
		env.WaitForReady(t, readyWithin) // once Postgres is back

		env.Restart(harness.Mimo)
		c = env.Client()
		got, err := c.Get(ctx, ns, id)
		require.NoError(t, err)
		assert.Equal(t, stored.Memory.Content, got.Content)
	})

	// The stand-in answers its control API, and not while it is paused.
	t.Run("stand-in pause", func(t *testing.T) {
		ctl := env.Standin()
		_, err := ctl.Counters(ctx)
		require.NoError(t, err)

		env.Pause(harness.Standin)
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_, err = ctl.Counters(short)
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded, "a paused container answers nothing")
		env.Unpause(harness.Standin)

		_, err = ctl.Counters(ctx)
		require.NoError(t, err)
	})

	// Delete.
	timed("delete", func() { err = c.Delete(ctx, ns, id) })
	require.NoError(t, err)
	_, err = c.Get(ctx, ns, id)
	var merr *mimo.Error
	require.True(t, errors.As(err, &merr), "a deleted memory is an API error, got %v", err)
	assert.Equal(t, mimo.ENOTFOUND, merr.Code)
	rec.Evidence("note", "stored "+id+", found it first in search, read it through a proxy outage, a latency toxic, a Postgres SIGKILL and a Mimo restart, then deleted it: "+merr.Error())
}

// decode re-decodes a tool's structured output into out.
func decode(t *testing.T, v any, out any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, out))
}

// uncachedID is a well-formed memory id that no scenario stores, so no
// read cache holds it.
const uncachedID = "0190a0a0-0000-7000-8000-000000000000"
