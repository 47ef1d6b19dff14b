package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	mimo "mimo/system"
)

// decodeBody reads r's body into dst, a pointer to a struct. It accepts
// exactly one JSON object and nothing else: an empty body, a body over the
// limit (ETOOLARGE), invalid UTF-8, malformed JSON, a value that is not an
// object, a field of the wrong type, an unknown field or trailing data are
// all errors naming what is wrong (EINVALID otherwise).
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	body, ok := unread(r) // read already, and checked against the limit
	if !ok {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return mimo.Errorf(mimo.ETOOLARGE, "request body is over %d bytes", s.maxBody)
			}
			return mimo.Wrap(mimo.EINVALID, err, "could not read the request body")
		}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return mimo.Errorf(mimo.EINVALID, "request body is empty; send a JSON object")
	}
	// encoding/json replaces invalid UTF-8 with U+FFFD without a word, which
	// would store content the client never sent.
	if !utf8.Valid(body) {
		return mimo.Errorf(mimo.EINVALID, "request body is not valid UTF-8")
	}
	if body[0] != '{' {
		return mimo.Errorf(mimo.EINVALID, "request body must be a JSON object")
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return mimo.Errorf(mimo.EINVALID, "request body has data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into a client-facing EINVALID that names
// the field or position at fault.
func jsonError(err error) error {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return mimo.Wrap(mimo.EINVALID, err, fmt.Sprintf("malformed JSON at byte %d: %s", e.Offset, e.Error()))
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := e.Field
		if field == "" {
			return mimo.Wrap(mimo.EINVALID, err, fmt.Sprintf("request body must be %s", kindName(e.Type)))
		}
		return mimo.Wrap(mimo.EINVALID, err,
			fmt.Sprintf("field %q must be %s, not %s", field, kindName(e.Type), e.Value))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return mimo.Wrap(mimo.EINVALID, err, "malformed JSON: the body ends in the middle of a value")
	}
	// The decoder reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return mimo.Wrap(mimo.EINVALID, err, "unknown field "+name)
	}
	return mimo.Wrap(mimo.EINVALID, err, "malformed JSON: "+err.Error())
}

// kindName names the JSON form a Go type is decoded from.
func kindName(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a different type"
}
