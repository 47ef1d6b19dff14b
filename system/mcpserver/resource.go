package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/system"
)

// The knowledge graph as a resource, as the official memory server offers
// it: memory://knowledge-graph, application/json, in read_graph's shape.
// Mimo bounds it as read_graph is: one page of entities (the default
// page size) with the relations from them, and next_cursor when more
// follow. Another namespace, or a later page, is named in the URI's query:
//
//	memory://knowledge-graph?namespace=team-a&cursor=…
//
// Subscribing to a namespace's URI (resources/subscribe up to 2025-11-25,
// subscriptions/listen in 2026-07-28) brings notifications/resources/updated
// for that URI whenever a graph tool changes that namespace's graph.

// GraphURI is the knowledge-graph resource's URI: the default namespace's
// graph, first page.
const GraphURI = "memory://knowledge-graph"

// graphTemplate matches GraphURI with a query naming a namespace, a cursor
// or both.
const graphTemplate = GraphURI + "{?namespace,cursor}"

func (s *Server) addGraphResource() {
	const desc = "The knowledge graph, entities and relations, in read_graph's shape: one page of entities " +
		"(100) with the relations from them, and next_cursor when more follow. " +
		"Add ?namespace=NS for another namespace and &cursor=C for the next page."
	s.mcp.AddResource(&mcp.Resource{URI: GraphURI, Name: "knowledge-graph", Title: "Knowledge Graph",
		Description: desc, MIMEType: "application/json"}, s.readGraphResource)
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: graphTemplate, Name: "knowledge-graph-page",
		Title: "Knowledge Graph (namespace, page)", Description: desc, MIMEType: "application/json"}, s.readGraphResource)
}

// graphURI is the URI notifications name for ns's graph: GraphURI for the
// default namespace, else GraphURI?namespace=ns. Clients subscribe to it.
func graphURI(ns string) string {
	if ns == "" || ns == mimo.DefaultNamespace {
		return GraphURI
	}
	return GraphURI + "?" + url.Values{"namespace": {ns}}.Encode()
}

// parseGraphURI returns the namespace and cursor a graph resource URI
// names, or false when uri is not one.
func parseGraphURI(uri string) (ns, cursor string, ok bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "memory" || u.Host != "knowledge-graph" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return "", "", false
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", "", false
	}
	for k, v := range q {
		if (k != "namespace" && k != "cursor") || len(v) != 1 {
			return "", "", false
		}
	}
	return q.Get("namespace"), q.Get("cursor"), true
}

func (s *Server) readGraphResource(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	ns, cursor, ok := parseGraphURI(uri)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	g, err := s.graph.ReadGraph(ctx, ns, cursor, 0)
	if err != nil {
		return nil, resourceError(uri, s.fail("resources/read", err).(*toolError))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(toGraphOut(g)); err != nil {
		return nil, fmt.Errorf("encoding the graph: %w", err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: b.String()}}}, nil
}

// resourceError is a failed read as a JSON-RPC error whose message is the
// tool error's text: invalid params for the caller's mistakes (a bad
// namespace or cursor), else internal error.
func resourceError(uri string, err *toolError) error {
	code := int64(jsonrpc.CodeInternalError)
	if err.code == mimo.EINVALID {
		code = jsonrpc.CodeInvalidParams
	}
	data, _ := json.Marshal(map[string]string{"uri": uri})
	return &jsonrpc.Error{Code: code, Message: err.Error(), Data: data}
}

// subscribe accepts subscriptions to a namespace's graph, named as
// graphURI names it (the URIs notifications carry), and refuses others.
func (s *Server) subscribe(_ context.Context, req *mcp.SubscribeRequest) error {
	ns, cursor, ok := parseGraphURI(req.Params.URI)
	if !ok || cursor != "" || graphURI(ns) != req.Params.URI {
		return fmt.Errorf("cannot subscribe to %q: subscribe to %s, or %s?namespace=NS for another namespace", req.Params.URI, GraphURI, GraphURI)
	}
	return nil
}

func (s *Server) unsubscribe(context.Context, *mcp.UnsubscribeRequest) error { return nil }

// graphChanged tells subscribers of namespace's graph that it changed.
// Nothing is sent for a call that changed nothing.
func (s *Server) graphChanged(ctx context.Context, namespace string, changed bool) {
	if !changed {
		return
	}
	if err := s.mcp.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: graphURI(namespace)}); err != nil {
		s.log.Warn("notifying graph subscribers", "namespace", namespace, "err", err)
	}
}
