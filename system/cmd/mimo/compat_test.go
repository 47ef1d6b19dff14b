package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/client"
	mcpgotransport "github.com/mark3labs/mcp-go/client/transport"
	mcpgotypes "github.com/mark3labs/mcp-go/mcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The official MCP memory server's documented behaviour, replayed against
// Mimo by two independent MCP clients (the official Go SDK's and
// mark3labs/mcp-go's), over stdio and Streamable HTTP, in both protocol
// eras, on each store. The calls carry no namespace, as an agent written
// for the official server sends them.

// officialStep is one call and the part of its answer the official server
// documents: every field named in want must be in the answer with that
// value (entities and relations compared as sets: the official server
// answers in file order, Mimo by name); fields Mimo adds are allowed.
type officialStep struct {
	name, tool string
	args       string // JSON
	want       string // JSON; "" when the call must be a tool error
}

var officialSteps = []officialStep{
	{"create entities", "create_entities",
		`{"entities":[{"name":"Alice","entityType":"person","observations":["works at Acme"]},{"name":"Acme","entityType":"company","observations":[]},{"name":"Bob","entityType":"person","observations":[]}]}`,
		`{"entities":[{"name":"Alice","entityType":"person","observations":["works at Acme"]},{"name":"Acme","entityType":"company","observations":[]},{"name":"Bob","entityType":"person","observations":[]}]}`},
	{"existing names are skipped", "create_entities",
		`{"entities":[{"name":"Alice","entityType":"robot","observations":[]},{"name":"Carol","entityType":"person","observations":[]}]}`,
		`{"entities":[{"name":"Carol","entityType":"person","observations":[]}]}`},
	{"create relations", "create_relations",
		`{"relations":[{"from":"Alice","to":"Acme","relationType":"works_at"},{"from":"Bob","to":"Alice","relationType":"knows"}]}`,
		`{"relations":[{"from":"Alice","to":"Acme","relationType":"works_at"},{"from":"Bob","to":"Alice","relationType":"knows"}]}`},
	{"existing relations are skipped", "create_relations",
		`{"relations":[{"from":"Alice","to":"Acme","relationType":"works_at"}]}`,
		`{"relations":[]}`},
	{"add observations answers what was new", "add_observations",
		`{"observations":[{"entityName":"Alice","contents":["works at Acme","speaks Portuguese"]}]}`,
		`{"results":[{"entityName":"Alice","addedObservations":["speaks Portuguese"]}]}`},
	{"add observations to a missing entity fails", "add_observations",
		`{"observations":[{"entityName":"Nobody","contents":["x"]}]}`, ""},
	{"search matches names and observations, ignoring case", "search_nodes", `{"query":"ACME"}`,
		`{"entities":[{"name":"Alice","entityType":"person","observations":["works at Acme","speaks Portuguese"]},{"name":"Acme","entityType":"company","observations":[]}],
		  "relations":[{"from":"Alice","to":"Acme","relationType":"works_at"},{"from":"Bob","to":"Alice","relationType":"knows"}]}`},
	{"search matches types; relations with one end found", "search_nodes", `{"query":"company"}`,
		`{"entities":[{"name":"Acme","entityType":"company","observations":[]}],
		  "relations":[{"from":"Alice","to":"Acme","relationType":"works_at"}]}`},
	{"open nodes skips missing names; relations with one end opened", "open_nodes", `{"names":["Bob","Nobody"]}`,
		`{"entities":[{"name":"Bob","entityType":"person","observations":[]}],
		  "relations":[{"from":"Bob","to":"Alice","relationType":"knows"}]}`},
	{"read the graph", "read_graph", `{}`,
		`{"entities":[{"name":"Alice","entityType":"person","observations":["works at Acme","speaks Portuguese"]},{"name":"Acme","entityType":"company","observations":[]},
		              {"name":"Bob","entityType":"person","observations":[]},{"name":"Carol","entityType":"person","observations":[]}],
		  "relations":[{"from":"Alice","to":"Acme","relationType":"works_at"},{"from":"Bob","to":"Alice","relationType":"knows"}]}`},
	{"delete observations, missing ones silently", "delete_observations",
		`{"deletions":[{"entityName":"Alice","observations":["speaks Portuguese","never said"]},{"entityName":"Nobody","observations":["x"]}]}`,
		`{"success":true,"message":"Observations deleted successfully"}`},
	{"delete relations, missing ones silently", "delete_relations",
		`{"relations":[{"from":"Bob","to":"Alice","relationType":"knows"},{"from":"Bob","to":"Carol","relationType":"knows"}]}`,
		`{"success":true,"message":"Relations deleted successfully"}`},
	{"delete entities, missing ones silently", "delete_entities", `{"entityNames":["Acme","Nobody"]}`,
		`{"success":true,"message":"Entities deleted successfully"}`},
	{"deleting an entity deleted its relations", "read_graph", `{}`,
		`{"entities":[{"name":"Alice","entityType":"person","observations":["works at Acme"]},{"name":"Bob","entityType":"person","observations":[]},
		              {"name":"Carol","entityType":"person","observations":[]}],
		  "relations":[]}`},
}

// officialTitles are the official server's tool titles.
var officialTitles = map[string]string{
	"create_entities": "Create Entities", "create_relations": "Create Relations", "add_observations": "Add Observations",
	"delete_entities": "Delete Entities", "delete_observations": "Delete Observations", "delete_relations": "Delete Relations",
	"read_graph": "Read Graph", "search_nodes": "Search Nodes", "open_nodes": "Open Nodes",
}

// compatClient is what the replay needs of an MCP client.
type compatClient interface {
	protocol() string
	titles(t *testing.T) map[string]string
	// call returns the tool's structured output, or ok false for a tool
	// error.
	call(t *testing.T, tool, args string) (out map[string]any, ok bool)
	resources(t *testing.T) []resourceInfo
	read(t *testing.T, uri string) (mime, text string)
	// subscribe asks for notifications about uri; they arrive on updates.
	subscribe(t *testing.T, uri string)
	updates() <-chan string
}

type resourceInfo struct{ URI, Name, Title, MIMEType string }

// compatTransport starts a Mimo for one client: the URL of its /mcp, or
// "" with the command of `mimo stdio`.
type compatTransport struct {
	url string
	cmd func() *exec.Cmd
}

func TestOfficialMemoryServerBehaviourWithTwoClients(t *testing.T) {
	bin := mimoBinary(t)
	type connector func(t *testing.T, tr compatTransport, version string) compatClient
	clients := []struct {
		name     string
		connect  connector
		versions []string
	}{
		{"go-sdk", connectSDK, []string{"2026-07-28", "2025-11-25"}},
		{"mcp-go", connectMCPGo, []string{"2026-07-28", "2025-11-25"}},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, transport := range []string{"stdio", "http"} {
				for _, c := range clients {
					for _, version := range c.versions {
						t.Run(fmt.Sprintf("%s/%s/%s", transport, c.name, version), func(t *testing.T) {
							env := b.env(t) // a fresh store for each replay
							var tr compatTransport
							if transport == "http" {
								tr.url = startServer(t, env).URL + "/mcp"
							} else {
								dir := t.TempDir()
								tr.cmd = func() *exec.Cmd {
									cmd := exec.Command(bin, "stdio")
									cmd.Env = append(os.Environ(), "MIMO_DATA_DIR="+dir)
									for k, v := range env {
										cmd.Env = append(cmd.Env, k+"="+v)
									}
									return cmd
								}
							}
							cl := c.connect(t, tr, version)
							require.Equal(t, version, cl.protocol())
							replayOfficial(t, cl, transport == "stdio" || version >= "2026-07-28")
						})
					}
				}
			}
		})
	}
}

// replayOfficial runs officialSteps and the resource's behaviour on cl.
// Subscriptions are checked where the era and transport carry them:
// resources/subscribe needs a session, which Mimo's stateless HTTP
// endpoint keeps only in the 2026-07-28 era (subscriptions/listen).
func replayOfficial(t *testing.T, cl compatClient, canSubscribe bool) {
	titles := cl.titles(t)
	for tool, title := range officialTitles {
		assert.Equal(t, title, titles[tool], "%s's title", tool)
	}
	for _, s := range officialSteps {
		out, ok := cl.call(t, s.tool, s.args)
		if s.want == "" {
			assert.False(t, ok, "%s: a tool error", s.name)
			continue
		}
		require.True(t, ok, "%s: %s failed", s.name, s.tool)
		var want map[string]any
		require.NoError(t, json.Unmarshal([]byte(s.want), &want))
		for k, v := range want {
			assert.Equal(t, normalizeGraph(v), normalizeGraph(out[k]), "%s: field %q", s.name, k)
		}
	}

	// The resource: listed as the official server lists it, read in
	// read_graph's shape.
	assert.Contains(t, cl.resources(t), resourceInfo{URI: "memory://knowledge-graph", Name: "knowledge-graph",
		Title: "Knowledge Graph", MIMEType: "application/json"})
	mime, text := cl.read(t, "memory://knowledge-graph")
	assert.Equal(t, "application/json", mime)
	var g map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &g))
	graph, _ := cl.call(t, "read_graph", `{}`)
	assert.Equal(t, normalizeGraph(graph["entities"]), normalizeGraph(g["entities"]))
	assert.Equal(t, normalizeGraph(graph["relations"]), normalizeGraph(g["relations"]))

	if !canSubscribe {
		return
	}
	cl.subscribe(t, "memory://knowledge-graph")
	// The stream of a 2026-07-28 subscription may open after a change:
	// change the graph until a notification comes.
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		_, ok := cl.call(t, "create_entities", fmt.Sprintf(`{"entities":[{"name":"Dana %d","entityType":"person","observations":[]}]}`, i))
		require.True(t, ok)
		select {
		case uri := <-cl.updates():
			assert.Equal(t, "memory://knowledge-graph", uri)
			return
		case <-time.After(100 * time.Millisecond):
			require.True(t, time.Now().Before(deadline), "no notifications/resources/updated after subscribing")
		}
	}
}

// normalizeGraph orders lists of entities or relations (JSON objects with
// a name, or from/to/relationType), so that they compare as sets; other
// values are returned as they are.
func normalizeGraph(v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := slices.Clone(list)
	key := func(x any) string {
		m, _ := x.(map[string]any)
		return fmt.Sprint(m["name"], "\x00", m["from"], "\x00", m["to"], "\x00", m["relationType"])
	}
	slices.SortFunc(out, func(a, b any) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// The official Go SDK's client.

type sdkClient struct {
	cs  *mcp.ClientSession
	upd chan string
}

func connectSDK(t *testing.T, tr compatTransport, version string) compatClient {
	c := &sdkClient{upd: make(chan string, 100)}
	client := mcp.NewClient(&mcp.Implementation{Name: "sdk-compat", Version: "1"}, &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) { c.upd <- r.Params.URI },
	})
	var transport mcp.Transport = &mcp.StreamableClientTransport{Endpoint: tr.url, MaxRetries: -1}
	if tr.url == "" {
		transport = &mcp.CommandTransport{Command: tr.cmd()}
	}
	cs, err := client.Connect(t.Context(), transport, &mcp.ClientSessionOptions{ProtocolVersion: version})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	c.cs = cs
	return c
}

func (c *sdkClient) protocol() string       { return c.cs.InitializeResult().ProtocolVersion }
func (c *sdkClient) updates() <-chan string { return c.upd }

func (c *sdkClient) titles(t *testing.T) map[string]string {
	res, err := c.cs.ListTools(t.Context(), nil)
	require.NoError(t, err)
	out := map[string]string{}
	for _, tool := range res.Tools {
		out[tool.Name] = tool.Title
	}
	return out
}

func (c *sdkClient) call(t *testing.T, tool, args string) (map[string]any, bool) {
	res, err := c.cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: json.RawMessage(args)})
	require.NoError(t, err, "%s: a protocol error", tool)
	if res.IsError {
		return nil, false
	}
	return asObject(t, res.StructuredContent), true
}

func (c *sdkClient) resources(t *testing.T) []resourceInfo {
	res, err := c.cs.ListResources(t.Context(), nil)
	require.NoError(t, err)
	var out []resourceInfo
	for _, r := range res.Resources {
		out = append(out, resourceInfo{r.URI, r.Name, r.Title, r.MIMEType})
	}
	return out
}

func (c *sdkClient) read(t *testing.T, uri string) (string, string) {
	res, err := c.cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: uri})
	require.NoError(t, err)
	require.Len(t, res.Contents, 1)
	return res.Contents[0].MIMEType, res.Contents[0].Text
}

func (c *sdkClient) subscribe(t *testing.T, uri string) {
	if c.protocol() < "2026-07-28" {
		require.NoError(t, c.cs.Subscribe(t.Context(), &mcp.SubscribeParams{URI: uri}))
		return
	}
	// subscriptions/listen: Subscribe holds the stream until the session
	// ends.
	go func() { _ = c.cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri}) }()
}

// mark3labs/mcp-go's client.

type mcpGoClient struct {
	c   *mcpgo.Client
	upd chan string
}

func connectMCPGo(t *testing.T, tr compatTransport, version string) compatClient {
	var tp mcpgotransport.Interface
	if tr.url != "" {
		h, err := mcpgotransport.NewStreamableHTTP(tr.url)
		require.NoError(t, err)
		tp = h
	} else {
		cmd := tr.cmd()
		tp = mcpgotransport.NewStdio(cmd.Path, cmd.Env, cmd.Args[1:]...)
	}
	c := &mcpGoClient{c: mcpgo.NewClient(tp, mcpgo.WithProtocolVersion(version)), upd: make(chan string, 100)}
	require.NoError(t, c.c.Start(t.Context()))
	t.Cleanup(func() { _ = c.c.Close() })
	c.c.OnNotification(func(n mcpgotypes.JSONRPCNotification) {
		if n.Method != string(mcpgotypes.MethodNotificationResourceUpdated) {
			return
		}
		if uri, ok := n.Params.AdditionalFields["uri"].(string); ok {
			c.upd <- uri
		}
	})
	init := mcpgotypes.InitializeRequest{}
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcpgotypes.Implementation{Name: "mcp-go-compat", Version: "1"}
	_, err := c.c.Initialize(t.Context(), init)
	require.NoError(t, err)
	return c
}

func (c *mcpGoClient) protocol() string       { return c.c.ProtocolVersion() }
func (c *mcpGoClient) updates() <-chan string { return c.upd }

func (c *mcpGoClient) titles(t *testing.T) map[string]string {
	res, err := c.c.ListTools(t.Context(), mcpgotypes.ListToolsRequest{})
	require.NoError(t, err)
	out := map[string]string{}
	for _, tool := range res.Tools {
		out[tool.Name] = tool.Title
	}
	return out
}

func (c *mcpGoClient) call(t *testing.T, tool, args string) (map[string]any, bool) {
	req := mcpgotypes.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = json.RawMessage(args)
	res, err := c.c.CallTool(t.Context(), req)
	require.NoError(t, err, "%s: a protocol error", tool)
	if res.IsError {
		return nil, false
	}
	return asObject(t, res.StructuredContent), true
}

func (c *mcpGoClient) resources(t *testing.T) []resourceInfo {
	res, err := c.c.ListResources(t.Context(), mcpgotypes.ListResourcesRequest{})
	require.NoError(t, err)
	var out []resourceInfo
	for _, r := range res.Resources {
		out = append(out, resourceInfo{r.URI, r.Name, r.Title, r.MIMEType})
	}
	return out
}

func (c *mcpGoClient) read(t *testing.T, uri string) (string, string) {
	req := mcpgotypes.ReadResourceRequest{}
	req.Params.URI = uri
	res, err := c.c.ReadResource(t.Context(), req)
	require.NoError(t, err)
	require.Len(t, res.Contents, 1)
	text, ok := res.Contents[0].(mcpgotypes.TextResourceContents)
	require.True(t, ok, "text contents, got %T", res.Contents[0])
	return text.MIMEType, text.Text
}

func (c *mcpGoClient) subscribe(t *testing.T, uri string) {
	if c.protocol() < "2026-07-28" {
		req := mcpgotypes.SubscribeRequest{}
		req.Params.URI = uri
		//lint:ignore SA1019 resources/subscribe is the legacy era's way, which this test exercises.
		require.NoError(t, c.c.Subscribe(t.Context(), req))
		return
	}
	stop, err := c.c.ListenAsync(context.Background(), mcpgotypes.SubscriptionFilter{ResourceSubscriptions: []string{uri}}, nil)
	require.NoError(t, err)
	t.Cleanup(stop)
}

// asObject is a tool's structured output as a JSON object.
func asObject(t *testing.T, v any) map[string]any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
