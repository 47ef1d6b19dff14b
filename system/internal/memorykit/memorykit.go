// Package memorykit holds the rules for memories that both stores and the
// service share, so they cannot drift apart: the default namespace, the
// content hash, how a memory is normalised before it is created, how an
// update is applied, what text a store accepts, the list cursor and the
// errors they all return. Package graphkit is the same for the graph.
// Only SQL, which differs by dialect, stays in each store.
package memorykit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"mimo/system"
)

// Namespace applies the rule that "" means mimo.DefaultNamespace.
func Namespace(ns string) string {
	if ns == "" {
		return mimo.DefaultNamespace
	}
	return ns
}

// ContentHash is a memory's ContentHash: the hex SHA-256 of its content.
// Identical content is stored once per namespace.
func ContentHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// Time is t as stores keep it: UTC, whole microseconds.
func Time(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// CheckText rejects strings a store cannot hold: a NUL byte (Postgres text
// cannot) or invalid UTF-8. Both stores apply it, so they accept the same
// memories. what names the field in the EINVALID message.
func CheckText(what string, values ...string) error {
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 {
			return mimo.Errorf(mimo.EINVALID, "%s must not contain NUL bytes", what)
		}
		if !utf8.ValidString(v) {
			return mimo.Errorf(mimo.EINVALID, "%s must be valid UTF-8", what)
		}
	}
	return nil
}

// CreateOne is CreateMemory written with a store's CreateMemories: the
// batch of one's item error is the call's error.
func CreateOne(ctx context.Context, createMemories func(context.Context, []*mimo.Memory) ([]mimo.CreateResult, error),
	m *mimo.Memory) (*mimo.Memory, bool, error) {
	res, err := createMemories(ctx, []*mimo.Memory{m})
	if err != nil {
		return nil, false, err
	}
	if res[0].Err != nil {
		return nil, false, res[0].Err
	}
	return res[0].Memory, res[0].Created, nil
}

// ItemError reports whether err is the fault of one item of a
// CreateMemories batch (EINVALID, ENOTFOUND, ECONFLICT), which is reported
// in its CreateResult, rather than of the whole transaction.
func ItemError(err error) bool {
	switch mimo.ErrorCode(err) {
	case mimo.EINVALID, mimo.ENOTFOUND, mimo.ECONFLICT:
		return true
	}
	return false
}
