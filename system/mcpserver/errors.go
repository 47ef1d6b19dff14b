package mcpserver

import (
	"mimo/system"
)

// toolError is how a failed tool call reaches the client: a tool error
// (isError) whose text is "code: message", with only the client-safe part
// of a mimo.Error. This is the one place Mimo's error codes become MCP
// tool errors.
type toolError struct {
	code, message string
}

func (e *toolError) Error() string { return e.code + ": " + e.message }

// fail turns err into the tool error the client sees, logging the cause
// of failures that are not the caller's fault.
func (s *Server) fail(tool string, err error) error {
	code := mimo.ErrorCode(err)
	switch code {
	case mimo.EINTERNAL, mimo.EUNAVAILABLE:
		s.log.Error("tool failed", "tool", tool, "code", code, "err", err)
	}
	return &toolError{code: code, message: mimo.ErrorMessage(err)}
}
