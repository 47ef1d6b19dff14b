package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/httpapi"
)

func TestErrorCodeMapsToStatus(t *testing.T) {
	for _, tc := range []struct {
		err     error
		code    int
		errCode string
		message string
	}{
		{mimo.Errorf(mimo.EINVALID, "importance must be 0..1"), 400, "invalid", "importance must be 0..1"},
		{mimo.Errorf(mimo.ENOTFOUND, "no memory x"), 404, "not_found", "no memory x"},
		{mimo.Errorf(mimo.ECONFLICT, "same content as y"), 409, "conflict", "same content as y"},
		{mimo.Errorf(mimo.EUNAUTHORIZED, "who are you"), 401, "unauthorized", "who are you"},
		{mimo.Errorf(mimo.ETOOLARGE, "content over 64 KiB"), 413, "too_large", "content over 64 KiB"},
		{mimo.Errorf(mimo.ERATELIMITED, "slow down"), 429, "rate_limited", "slow down"},
		{mimo.Wrap(mimo.EUNAVAILABLE, errors.New("dial tcp: refused"), "database unavailable"), 503, "unavailable", "database unavailable"},
		{mimo.Wrap(mimo.EINTERNAL, errors.New("row scan: secret detail"), "scan failed"), 500, "internal", "internal error"},
		{errors.New("plain error with secret detail"), 500, "internal", "internal error"},
		{fmt.Errorf("wrapped: %w", mimo.Errorf(mimo.ENOTFOUND, "gone")), 404, "not_found", "gone"},
		{&mimo.Error{Code: "made_up", Message: "secret detail"}, 500, "internal", "internal error"},
	} {
		t.Run(tc.errCode+"/"+tc.err.Error(), func(t *testing.T) {
			svc := &fakeService{get: func(string, string) (*mimo.Memory, error) { return nil, tc.err }}
			e := newEnv(t, httpapi.Options{Service: svc})
			resp := e.do("GET", "/api/memories/x", "")
			require.Equal(t, tc.code, resp.Code)
			assert.JSONEq(t, fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, tc.errCode, tc.message), string(resp.Body))
			assert.NotContains(t, string(resp.Body), "secret", "causes are never sent")
			if tc.code == 500 {
				assert.Contains(t, e.logs.String(), "secret detail", "the cause of an internal error is logged")
			}
		})
	}
}

func TestStatusCode(t *testing.T) {
	assert.Equal(t, http.StatusBadRequest, httpapi.StatusCode(mimo.EINVALID))
	assert.Equal(t, http.StatusInternalServerError, httpapi.StatusCode(""))
	assert.Equal(t, http.StatusInternalServerError, httpapi.StatusCode("nonsense"))
}

func TestEveryRouteMapsServiceErrors(t *testing.T) {
	unavailable := mimo.Errorf(mimo.EUNAVAILABLE, "db down")
	svc := &fakeService{
		store:  func(mimo.StoreRequest) (*mimo.StoreResult, error) { return nil, unavailable },
		batch:  func([]mimo.StoreRequest) ([]mimo.BatchItemResult, error) { return nil, unavailable },
		get:    func(string, string) (*mimo.Memory, error) { return nil, unavailable },
		update: func(string, string, mimo.UpdateRequest) (*mimo.Memory, error) { return nil, unavailable },
		del:    func(string, string) error { return unavailable },
		list:   func(mimo.ListQuery) (*mimo.ListPage, error) { return nil, unavailable },
		search: func(mimo.SearchQuery) (*mimo.SearchPage, error) { return nil, unavailable },
	}
	e := newEnv(t, httpapi.Options{Service: svc})
	for _, r := range [][3]string{
		{"POST", "/api/memories", `{"content":"x"}`},
		{"POST", "/api/memories/batch", `{"memories":[{"content":"x"}]}`},
		{"GET", "/api/memories", ""},
		{"GET", "/api/memories/x", ""},
		{"PATCH", "/api/memories/x", `{"content":"y"}`},
		{"DELETE", "/api/memories/x", ""},
		{"POST", "/api/search", `{"query":"x"}`},
	} {
		resp := e.do(r[0], r[1], r[2])
		assert.Equal(t, http.StatusServiceUnavailable, resp.Code, "%s %s", r[0], r[1])
		assert.Equal(t, "unavailable", resp.ErrorCode(t))
	}
	assert.Len(t, e.svc.Calls(), 7)
}

func TestServiceReturningNothingIsInternal(t *testing.T) {
	svc := &fakeService{
		store: func(mimo.StoreRequest) (*mimo.StoreResult, error) { return nil, nil },
		batch: func([]mimo.StoreRequest) ([]mimo.BatchItemResult, error) { return nil, nil },
		get:   func(string, string) (*mimo.Memory, error) { return nil, nil },
	}
	e := newEnv(t, httpapi.Options{Service: svc})
	assert.Equal(t, 500, e.do("POST", "/api/memories", `{"content":"x"}`).Code)
	assert.Equal(t, 500, e.do("POST", "/api/memories/batch", `{"memories":[{"content":"x"}]}`).Code,
		"fewer results than items")
	assert.Equal(t, 500, e.do("GET", "/api/memories/x", "").Code)
}
