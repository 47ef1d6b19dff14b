package postgres

import (
	"context"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"

	mimo "mimo/system"
)

func TestClassify(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	cases := map[string]struct {
		err  error
		want string
	}{
		"unique violation":         {pg("23505"), mimo.ECONFLICT},
		"bad text value":           {pg("22P02"), mimo.EINVALID},
		"unicode escape in jsonb":  {pg("22P05"), mimo.EINVALID},
		"disk full":                {pg("53100"), mimo.EUNAVAILABLE},
		"out of memory":            {pg("53200"), mimo.EUNAVAILABLE},
		"too many connections":     {pg("53300"), mimo.EUNAVAILABLE},
		"read-only transaction":    {pg("25006"), mimo.EUNAVAILABLE},
		"admin shutdown":           {pg("57P01"), mimo.EUNAVAILABLE},
		"crash shutdown":           {pg("57P02"), mimo.EUNAVAILABLE},
		"starting up":              {pg("57P03"), mimo.EUNAVAILABLE},
		"statement timeout":        {pg("57014"), mimo.EUNAVAILABLE},
		"connection failure":       {pg("08006"), mimo.EUNAVAILABLE},
		"I/O error":                {pg("58030"), mimo.EUNAVAILABLE},
		"serialization failure":    {pg("40001"), mimo.EUNAVAILABLE},
		"deadlock":                 {pg("40P01"), mimo.EUNAVAILABLE},
		"undefined table":          {pg("42P01"), mimo.EINTERNAL},
		"syntax error":             {pg("42601"), mimo.EINTERNAL},
		"connection refused":       {&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, mimo.EUNAVAILABLE},
		"connection reset":         {fmt.Errorf("read: %w", syscall.ECONNRESET), mimo.EUNAVAILABLE},
		"broken pipe":              {fmt.Errorf("write: %w", syscall.EPIPE), mimo.EUNAVAILABLE},
		"unexpected EOF":           {fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), mimo.EUNAVAILABLE},
		"deadline":                 {fmt.Errorf("query: %w", context.DeadlineExceeded), mimo.EUNAVAILABLE},
		"cancelled":                {context.Canceled, mimo.EUNAVAILABLE},
		"closed conn":              {fmt.Errorf("x: %w", pgconn.ErrConnClosed), mimo.EUNAVAILABLE},
		"closed pool":              {fmt.Errorf("closed pool"), mimo.EUNAVAILABLE},
		"anything else":            {fmt.Errorf("cannot scan into *int"), mimo.EINTERNAL},
		"connect error, no server": {&pgconn.ConnectError{}, mimo.EUNAVAILABLE},
	}
	for name, c := range cases {
		assert.Equal(t, c.want, classify(c.err), name)
	}
}

// A *mimo.Error passes through mapError untouched; anything else is wrapped
// with its cause.
func TestMapError(t *testing.T) {
	s := &Store{log: discardLogger()}
	own := mimo.Errorf(mimo.ENOTFOUND, "memory x not found")
	assert.Same(t, own, s.mapError(fmt.Errorf("ctx: %w", own), "get"))
	cause := &pgconn.PgError{Code: "53300"}
	e := s.mapError(cause, "get memory")
	assert.Equal(t, mimo.EUNAVAILABLE, e.Code)
	assert.ErrorIs(t, e, cause)
	assert.Contains(t, e.Message, "get memory")
}
