package mcpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectWithUpdates connects the SDK's client to srv at version, over
// HTTP when url is not "" and else in memory, and returns the URIs of the
// resource-updated notifications it receives.
func connectWithUpdates(t *testing.T, srv interface {
	Serve(context.Context, mcp.Transport) error
}, url, version string) (*mcp.ClientSession, <-chan string) {
	t.Helper()
	updates := make(chan string, 100)
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, req *mcp.ResourceUpdatedNotificationRequest) {
			updates <- req.Params.URI
		},
	})
	var transport mcp.Transport = &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1}
	if url == "" {
		st1, st2 := mcp.NewInMemoryTransports()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, st1) }()
		t.Cleanup(func() { cancel(); <-done })
		transport = st2
	}
	cs, err := client.Connect(t.Context(), transport, &mcp.ClientSessionOptions{ProtocolVersion: version})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs, updates
}

func readGraphResource(t *testing.T, cs *mcp.ClientSession, uri string) graphView {
	t.Helper()
	res, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: uri})
	require.NoError(t, err)
	require.Len(t, res.Contents, 1)
	assert.Equal(t, "application/json", res.Contents[0].MIMEType)
	assert.Equal(t, uri, res.Contents[0].URI)
	var g graphView
	require.NoError(t, json.Unmarshal([]byte(res.Contents[0].Text), &g))
	return g
}

// The graph is the resource memory://knowledge-graph, as the official
// server offers it, bounded as read_graph is: a page, and a cursor for the
// next, named in the URI with the namespace.
func TestGraphResourceIsPagedAndPerNamespace(t *testing.T) {
	f := newFixture(t)
	res, err := f.session.ListResources(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, res.Resources, 1)
	r := res.Resources[0]
	assert.Equal(t, "memory://knowledge-graph", r.URI)
	assert.Equal(t, "knowledge-graph", r.Name)
	assert.Equal(t, "Knowledge Graph", r.Title)
	assert.Equal(t, "application/json", r.MIMEType)
	tmpls, err := f.session.ListResourceTemplates(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, tmpls.ResourceTemplates, 1)
	assert.Equal(t, "memory://knowledge-graph{?namespace,cursor}", tmpls.ResourceTemplates[0].URITemplate)

	var es []any
	for i := range 150 {
		es = append(es, entity(fmt.Sprintf("e%03d", i), "thing"))
	}
	f.call(t, "create_entities", map[string]any{"entities": es}, nil)
	f.call(t, "create_relations", map[string]any{"relations": []any{relation("e000", "e149", "knows")}}, nil)
	f.call(t, "create_entities", map[string]any{"namespace": "team&a", "entities": []any{entity("Only", "here")}}, nil)

	g := readGraphResource(t, f.session, "memory://knowledge-graph")
	require.Len(t, g.Entities, 100, "a page of the default size")
	assert.Equal(t, "e000", g.Entities[0].Name)
	require.Len(t, g.Relations, 1, "the relations from the page's entities")
	require.NotEmpty(t, g.NextCursor)
	next := readGraphResource(t, f.session, "memory://knowledge-graph?cursor="+url.QueryEscape(g.NextCursor))
	require.Len(t, next.Entities, 50)
	assert.Equal(t, "e100", next.Entities[0].Name)
	assert.Empty(t, next.Relations, "each relation on one page")
	assert.Empty(t, next.NextCursor)

	other := readGraphResource(t, f.session, "memory://knowledge-graph?namespace=team%26a")
	assert.Equal(t, []string{"Only"}, other.names(), "another namespace's graph only")
	both := readGraphResource(t, f.session, "memory://knowledge-graph?namespace=default&cursor="+url.QueryEscape(g.NextCursor))
	assert.Equal(t, next.names(), both.names())

	for _, bad := range []string{
		"memory://knowledge-graph?cursor=nonsense",
		"memory://knowledge-graph?namespace=" + url.QueryEscape("*"),
	} {
		_, err := f.session.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: bad})
		assert.ErrorContains(t, err, "invalid: ", bad)
	}
	for _, unknown := range []string{"memory://other", "memory://knowledge-graph/x", "memory://knowledge-graph?depth=2"} {
		_, err := f.session.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: unknown})
		assert.Error(t, err, unknown)
	}
}

// A subscriber to a namespace's graph is told when a tool changes it, in
// both protocol eras: resources/subscribe up to 2025-11-25 (in memory, as
// over stdio) and subscriptions/listen in 2026-07-28 (over HTTP). Calls
// that change nothing, and changes to other namespaces, send nothing.
func TestGraphSubscribersAreNotifiedOfChanges(t *testing.T) {
	srv := newServer(t)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	for _, tc := range []struct{ name, url, version string }{
		{"2025-11-25 resources/subscribe", "", "2025-11-25"},
		{"2026-07-28 subscriptions/listen", hs.URL, "2026-07-28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, updates := connectWithUpdates(t, srv, tc.url, tc.version)
			ns := "subs-" + tc.version
			uri := "memory://knowledge-graph?namespace=" + ns
			subscribe := func() {
				if tc.version < "2026-07-28" {
					require.NoError(t, cs.Subscribe(t.Context(), &mcp.SubscribeParams{URI: uri}))
					return
				}
				// subscriptions/listen holds its stream open: it returns
				// at Unsubscribe or when the session ends.
				go func() { _ = cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri}) }()
			}
			subscribe()
			call := func(tool string, args map[string]any) {
				t.Helper()
				args["namespace"] = ns
				res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: args})
				require.NoError(t, err)
				require.False(t, res.IsError, "%s: %s", tool, text(res))
			}
			// The listen stream may open after the first change: create
			// entities until one is notified.
			deadline := time.Now().Add(10 * time.Second)
			for i := 0; ; i++ {
				call("create_entities", map[string]any{"entities": []any{entity(fmt.Sprintf("warm-up %d", i), "t")}})
				select {
				case got := <-updates:
					require.Equal(t, uri, got)
				case <-time.After(50 * time.Millisecond):
					require.True(t, time.Now().Before(deadline), "no notification after subscribing")
					continue
				}
				break
			}
			drain(updates)

			changes := []struct {
				tool string
				args map[string]any
			}{
				{"create_entities", map[string]any{"entities": []any{entity("A", "t"), entity("B", "t")}}},
				{"create_relations", map[string]any{"relations": []any{relation("A", "B", "knows")}}},
				{"add_observations", map[string]any{"observations": []any{map[string]any{"entityName": "A", "contents": []string{"x", "y"}}}}},
				{"delete_observations", map[string]any{"deletions": []any{map[string]any{"entityName": "A", "observations": []string{"x"}}}}},
				{"delete_relations", map[string]any{"relations": []any{relation("A", "B", "knows")}}},
				{"delete_entities", map[string]any{"entityNames": []string{"B"}}},
			}
			for _, c := range changes {
				call(c.tool, c.args)
				select {
				case got := <-updates:
					assert.Equal(t, uri, got, c.tool)
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: no notification", c.tool)
				}
			}
			// Nothing changes: no notification. The marker change after
			// them is the next notification received.
			call("create_entities", map[string]any{"entities": []any{entity("A", "t")}})
			call("add_observations", map[string]any{"observations": []any{map[string]any{"entityName": "A", "contents": []string{"y"}}}})
			for _, c := range changes[3:] {
				call(c.tool, c.args)
			}
			res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "create_entities", Arguments: map[string]any{
				"namespace": "elsewhere", "entities": []any{entity("C", "t")}}})
			require.NoError(t, err)
			require.False(t, res.IsError)
			call("create_entities", map[string]any{"entities": []any{entity("Marker", "t")}})
			select {
			case got := <-updates:
				assert.Equal(t, uri, got, "the marker's")
			case <-time.After(10 * time.Second):
				t.Fatal("no notification for the marker")
			}
			// Notifications arrive in order: had a call that changed
			// nothing sent one, the marker's would still be waiting.
			call("read_graph", map[string]any{})
			assert.Empty(t, updates, "only the marker was notified")

			require.NoError(t, cs.Unsubscribe(t.Context(), &mcp.UnsubscribeParams{URI: uri}))
		})
	}
}

func drain(c <-chan string) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// Only a namespace's graph URI, as notifications name it, can be
// subscribed to.
func TestSubscribingToAnythingElseIsRefused(t *testing.T) {
	cs, _ := connectWithUpdates(t, newServer(t), "", "2025-11-25")
	for _, uri := range []string{"memory://other", "memory://knowledge-graph?cursor=abc", "memory://knowledge-graph?namespace=default"} {
		assert.Error(t, cs.Subscribe(t.Context(), &mcp.SubscribeParams{URI: uri}), uri)
	}
	assert.NoError(t, cs.Subscribe(t.Context(), &mcp.SubscribeParams{URI: "memory://knowledge-graph"}))
}
