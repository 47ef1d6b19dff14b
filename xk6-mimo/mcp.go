package xk6mimo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/dop251/goja"

	"mimo/harness/load"
	mimo "mimo/system"
)

// mcpProtocol is the MCP protocol version the client speaks: Mimo serves /mcp statelessly,
// so a tools/call needs no initialize handshake before it.
const mcpProtocol = "2025-11-25"

// tool(name, args) calls an MCP tool over Streamable HTTP at /mcp (a JSON-RPC tools/call,
// answered as JSON or as a server-sent event), with the client's namespace added to args
// that name none. Its result's body is the tool's structured output (or its content when it
// has none); a tool error (isError) makes ok false and error {code: "tool", message}. Each
// call counts in mimo_mcp_tool_calls (tagged tool), and memory_ask's answers in the
// answer metrics, as ask's do.
func (c *Client) tool(call goja.FunctionCall) goja.Value {
	name := call.Argument(0).String()
	if goja.IsUndefined(call.Argument(0)) || name == "" {
		c.vu.Throw("mimo.tool: expected a tool name")
	}
	args := map[string]any{}
	if a := call.Argument(1); !goja.IsUndefined(a) && !goja.IsNull(a) {
		m, ok := a.Export().(map[string]any)
		if !ok {
			c.vu.Throw("mimo.tool: %s: arguments must be an object", name)
		}
		args = m
	}
	if _, ok := args["namespace"]; !ok && c.namespace != "" {
		args["namespace"] = c.namespace
	}
	c.rpcID++
	rpc := map[string]any{"jsonrpc": "2.0", "id": c.rpcID, "method": "tools/call",
		"params": map[string]any{"name": name, "arguments": args}}
	h := http.Header{}
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("Mcp-Protocol-Version", mcpProtocol)
	c.vu.Push(c.m.toolCalls, 1, load.Tags{"tool": name})
	res, out := c.send("tool", http.MethodPost, "/mcp", "", rpc, h)
	if res.Err == nil && res.Status/100 == 2 {
		c.toolResult(name, res.Body, res.Header.Get("Content-Type"), out)
	}
	tags := c.opTags("tool")
	tags["tool"] = name
	c.vu.Push(c.m.failed, bool01(!out.ok()), tags)
	return c.vu.Runtime().ToValue(out.js())
}

// rpcResponse is a JSON-RPC answer to tools/call.
type rpcResponse struct {
	Result *struct {
		Content           []map[string]any `json:"content"`
		StructuredContent json.RawMessage  `json:"structuredContent"`
		IsError           bool             `json:"isError"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// toolResult fills out from the JSON-RPC answer in body (JSON, or the data of the
// event stream's message).
func (c *Client) toolResult(name string, body []byte, contentType string, out *result) {
	if strings.HasPrefix(contentType, "text/event-stream") {
		body = sseData(body)
	}
	var r rpcResponse
	if err := json.Unmarshal(body, &r); err != nil {
		out.Body, out.Error = nil, map[string]any{"code": "decode", "message": err.Error()}
		return
	}
	switch {
	case r.Error != nil:
		out.Body, out.Error = nil, map[string]any{"code": "rpc", "message": r.Error.Message, "rpc_code": r.Error.Code}
	case r.Result == nil:
		out.Body, out.Error = nil, map[string]any{"code": "decode", "message": "no result in the answer"}
	case r.Result.IsError:
		msg := ""
		for _, c := range r.Result.Content {
			if t, ok := c["text"].(string); ok {
				msg += t
			}
		}
		out.Body, out.Error = nil, map[string]any{"code": "tool", "message": msg}
	default:
		var v any = r.Result.Content
		if len(r.Result.StructuredContent) > 0 {
			_ = json.Unmarshal(r.Result.StructuredContent, &v)
			if name == "memory_ask" {
				var a mimo.Answer
				if json.Unmarshal(r.Result.StructuredContent, &a) == nil {
					c.answered(a, "tool")
				}
			}
		}
		out.Body = v
	}
}

// sseData is the data of the first message event in an event stream.
func sseData(b []byte) []byte {
	var data bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), len(b)+1)
	for sc.Scan() {
		line := sc.Text()
		if line == "" && data.Len() > 0 {
			break
		}
		if d, ok := strings.CutPrefix(line, "data:"); ok {
			data.WriteString(strings.TrimPrefix(d, " "))
		}
	}
	return data.Bytes()
}
