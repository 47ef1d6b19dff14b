// Package mcpserver serves Mimo's memory tools over the Model Context
// Protocol with the official Go SDK: over stdio for desktop clients and
// over Streamable HTTP at /mcp. The tools call the same mimo.Service as
// the REST API, so the two doors cannot disagree.
package mcpserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mimo/system"
	"mimo/system/metrics"
)

// Name is the server name reported to MCP clients.
const Name = "mimo"

// Options configures New. Service is required; the zero value of every
// other field is a safe default.
type Options struct {
	// Service is what every memory tool calls. Required.
	Service mimo.Service
	// Graph is what the knowledge-graph tools call. Nil means Service,
	// when it implements mimo.GraphService (Mimo's does); otherwise the
	// graph tools are not offered.
	Graph mimo.GraphService
	// Logger receives tool failures that are not the caller's fault. Nil
	// discards them.
	Logger *slog.Logger
	// Metrics counts tool calls in mimo_mcp_tool_calls_total. Nil means
	// metrics.New on a private registry.
	Metrics *metrics.Metrics
	// Version is reported to clients as the server's version; "" means
	// "dev".
	Version string
}

// Server is Mimo's MCP server. It is safe for concurrent use: one Server
// serves any number of sessions.
type Server struct {
	svc     mimo.Service
	graph   mimo.GraphService
	log     *slog.Logger
	metrics *metrics.Metrics
	mcp     *mcp.Server
}

// New returns a Server with every memory tool registered. It panics if
// opts.Service is nil, a wiring bug.
func New(opts Options) *Server {
	if opts.Service == nil {
		panic("mcpserver: Options.Service is nil")
	}
	s := &Server{svc: opts.Service, graph: opts.Graph, log: opts.Logger, metrics: opts.Metrics}
	if s.graph == nil {
		s.graph, _ = opts.Service.(mimo.GraphService)
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.metrics == nil {
		s.metrics = metrics.New(metrics.Options{Version: opts.Version})
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	var subscribe func(context.Context, *mcp.SubscribeRequest) error
	var unsubscribe func(context.Context, *mcp.UnsubscribeRequest) error
	if s.graph != nil {
		subscribe, unsubscribe = s.subscribe, s.unsubscribe
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: Name, Title: "Mimo memory server", Version: version}, &mcp.ServerOptions{
		Instructions: "Mimo stores what you learn as memories and finds them again by meaning, words and time. " +
			"Use memory_store to remember, memory_search to recall, memory_get, memory_list, memory_update and " +
			"memory_delete to manage memories, memory_ask to have a question answered from memory, and memory_stats for the namespace's state. The knowledge-graph " +
			"tools (create_entities, create_relations, add_observations, delete_*, read_graph, search_nodes, " +
			"open_nodes) keep entities and relations. Every tool takes an " +
			"optional namespace (default \"default\"); namespaces never see each other's memories.",
		Logger:             sdkLogger(s.log),
		SubscribeHandler:   subscribe,
		UnsubscribeHandler: unsubscribe,
	})
	s.mcp.AddReceivingMiddleware(s.countToolCalls)
	s.addTools()
	if s.graph != nil {
		s.addGraphTools()
		s.addGraphResource()
	}
	return s
}

// Handler serves MCP's Streamable HTTP transport, for mounting at /mcp.
// It answers both protocol eras of the SDK: the stateless 2026-07-28
// protocol, and the initialize handshake of 2025-11-25 and older, each
// request on a temporary session. Requests to a loopback address with a
// Host header naming another host are refused (DNS rebinding), and so are
// cross-origin browser requests. A 2026-07-28 ping without the _meta that
// era asks for is answered all the same (see answerBarePing).
func (s *Server) Handler() http.Handler {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{
		Stateless: true,
		Logger:    sdkLogger(s.log),
	})
	return http.NewCrossOriginProtection().Handler(answerBarePing(h))
}

// Serve runs one MCP session over t (such as &mcp.StdioTransport{}) until
// the client ends it or ctx is done.
func (s *Server) Serve(ctx context.Context, t mcp.Transport) error {
	return s.mcp.Run(ctx, t)
}

// countToolCalls counts every tools/call in mimo_mcp_tool_calls_total by
// tool and outcome: "ok", or the error's code ("invalid" for arguments the
// SDK refused against the tool's schema).
func (s *Server) countToolCalls(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		call, ok := req.(*mcp.CallToolRequest)
		if !ok || method != "tools/call" {
			return res, err
		}
		outcome := "ok"
		if r, ok := res.(*mcp.CallToolResult); err != nil || !ok || r == nil {
			outcome = "protocol_error"
		} else if r.IsError {
			outcome = mimo.EINVALID
			if e := r.GetError(); e != nil {
				if te, ok := e.(*toolError); ok {
					outcome = te.code
				}
			}
		}
		s.metrics.MCPToolCalls.WithLabelValues(call.Params.Name, outcome).Inc()
		return res, err
	}
}
