package httpapi

import (
	"encoding/json"
	"net/http"

	mimo "mimo/system"
)

// Outcomes of storing one memory, as sent in "status".
const (
	StatusCreated  = "created"
	StatusExisting = "existing"
	StatusQueued   = "queued"
)

// storeResponse is the body of POST /api/memories. Queued and Created
// are sent when true: a queued write says both (the memory will be
// created, under the id given, once the database takes it).
type storeResponse struct {
	Status      string       `json:"status"`
	Queued      bool         `json:"queued,omitempty"`
	Created     bool         `json:"created,omitempty"`
	Memory      *mimo.Memory `json:"memory"`
	DuplicateOf string       `json:"duplicate_of,omitempty"`
}

// degradedHeader is set on a read served by a fallback; its value is the
// reason (mimo.ReasonDBUnavailable: from the read cache).
const degradedHeader = "X-Mimo-Degraded"

// markDegraded sets degradedHeader when the service said the call was
// served by a fallback.
func markDegraded(w http.ResponseWriter, o *mimo.Outcome) {
	if reason := o.Degraded(); reason != "" {
		w.Header().Set(degradedHeader, reason)
	}
}

// outcome names what Store did and the status code that says it: 202 for a
// write queued in the spool, 201 for a new memory, 200 for identical
// content that was already stored.
func outcome(res *mimo.StoreResult) (string, int) {
	switch {
	case res.Queued:
		return StatusQueued, http.StatusAccepted
	case res.Created:
		return StatusCreated, http.StatusCreated
	}
	return StatusExisting, http.StatusOK
}

func (s *Server) handleStore(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req mimo.StoreRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.Store(r.Context(), req)
	if err == nil && res == nil {
		err = mimo.Errorf(mimo.EINTERNAL, "service returned no store result")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status, code := outcome(res)
	s.writeJSON(w, r, code, storeResponse{Status: status, Queued: res.Queued, Created: res.Created, Memory: res.Memory, DuplicateOf: res.DuplicateOf})
}

// batchRequest is the body of POST /api/memories/batch. Namespace is the
// default for items that name none.
type batchRequest struct {
	Namespace string              `json:"namespace"`
	Memories  []mimo.StoreRequest `json:"memories"`
}

// batchItem is one per-item result: a stored memory or an error.
type batchItem struct {
	Index       int          `json:"index"`
	Status      string       `json:"status,omitempty"`
	Memory      *mimo.Memory `json:"memory,omitempty"`
	DuplicateOf string       `json:"duplicate_of,omitempty"`
	Error       *errorDetail `json:"error,omitempty"`
}

type batchResponse struct {
	Results  []batchItem `json:"results"`
	Created  int         `json:"created"`
	Existing int         `json:"existing"`
	Queued   int         `json:"queued"`
	Failed   int         `json:"failed"`
}

// handleStoreBatch stores many memories. The response is 200 whenever the
// batch as a whole was taken (202 when any item was queued because the
// database is unavailable), with each item's own outcome; the item count
// limit (mimo.MaxBatch) is the Service's, so too many items is 400 invalid.
func (s *Server) handleStoreBatch(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req batchRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	items := req.Memories
	if items == nil {
		items = []mimo.StoreRequest{}
	}
	for i := range items {
		if items[i].Namespace == "" {
			items[i].Namespace = req.Namespace
		}
	}
	results, err := s.svc.StoreBatch(r.Context(), items)
	if err == nil && len(results) != len(items) {
		err = mimo.Errorf(mimo.EINTERNAL, "service returned %d results for %d items", len(results), len(items))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	resp := batchResponse{Results: make([]batchItem, len(results))}
	for i, res := range results {
		item := batchItem{Index: i}
		switch {
		case res.Err != nil:
			d := s.errorDetailOf(r, res.Err)
			item.Error = &d
			resp.Failed++
		case res.Result == nil:
			d := s.errorDetailOf(r, mimo.Errorf(mimo.EINTERNAL, "service returned neither result nor error for item %d", i))
			item.Error = &d
			resp.Failed++
		default:
			item.Status, _ = outcome(res.Result)
			item.Memory = res.Result.Memory
			item.DuplicateOf = res.Result.DuplicateOf
			switch item.Status {
			case StatusCreated:
				resp.Created++
			case StatusExisting:
				resp.Existing++
			case StatusQueued:
				resp.Queued++
			}
		}
		resp.Results[i] = item
	}
	code := http.StatusOK
	if resp.Queued > 0 {
		code = http.StatusAccepted
	}
	s.writeJSON(w, r, code, resp)
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, "namespace", "category", "tags", "since", "until", "include_superseded", "limit", "cursor")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lq, err := listQuery(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, o := mimo.WithOutcome(r.Context())
	page, err := s.svc.List(ctx, lq)
	if err == nil && page == nil {
		err = mimo.Errorf(mimo.EINTERNAL, "service returned no list page")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if page.Memories == nil {
		page.Memories = []*mimo.Memory{}
	}
	markDegraded(w, o)
	s.writeJSON(w, r, http.StatusOK, page)
}

func listQuery(q query) (mimo.ListQuery, error) {
	var (
		lq  mimo.ListQuery
		err error
	)
	if lq.Namespace, err = q.str("namespace"); err != nil {
		return lq, err
	}
	lq.Categories = categories(q.list("category"))
	lq.Tags = q.list("tags")
	if lq.Since, err = q.time("since"); err != nil {
		return lq, err
	}
	if lq.Until, err = q.time("until"); err != nil {
		return lq, err
	}
	if lq.IncludeSuperseded, err = q.bool("include_superseded"); err != nil {
		return lq, err
	}
	if lq.Limit, err = q.int("limit"); err != nil {
		return lq, err
	}
	if lq.Cursor, err = q.str("cursor"); err != nil {
		return lq, err
	}
	return lq, nil
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	ns, ok := s.namespaceParam(w, r)
	if !ok {
		return
	}
	ctx, o := mimo.WithOutcome(r.Context())
	m, err := s.svc.Get(ctx, ns, r.PathValue("id"))
	if err == nil && m == nil {
		err = mimo.Errorf(mimo.EINTERNAL, "service returned no memory")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	markDegraded(w, o)
	s.writeJSON(w, r, http.StatusOK, m)
}

// updateRequest is the body of PATCH /api/memories/{id}: the fields of
// mimo.UpdateRequest and, as SPEC lets any JSON body do, the namespace.
// The fields are spelt out rather than embedded so that a decoding error
// names "importance", not "UpdateRequest.importance".
type updateRequest struct {
	Namespace  string           `json:"namespace"`
	Content    *string          `json:"content"`
	Category   *mimo.Category   `json:"category"`
	Importance *float64         `json:"importance"`
	Tags       *[]string        `json:"tags"`
	Metadata   *json.RawMessage `json:"metadata"`
}

func (u updateRequest) update() mimo.UpdateRequest {
	return mimo.UpdateRequest{
		Content:    u.Content,
		Category:   u.Category,
		Importance: u.Importance,
		Tags:       u.Tags,
		Metadata:   u.Metadata,
	}
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, "namespace")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	qns, err := q.str("namespace")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req updateRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ns := qns
	switch {
	case req.Namespace != "" && qns != "" && req.Namespace != qns:
		s.writeError(w, r, mimo.Errorf(mimo.EINVALID,
			"namespace %q in the body differs from namespace %q in the query", req.Namespace, qns))
		return
	case ns == "":
		ns = req.Namespace
	}
	if ns == "" {
		ns = mimo.DefaultNamespace
	}
	ctx, o := mimo.WithOutcome(r.Context())
	m, err := s.svc.Update(ctx, ns, r.PathValue("id"), req.update())
	if err == nil && m == nil {
		err = mimo.Errorf(mimo.EINTERNAL, "service returned no memory")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if o.Queued() {
		s.writeJSON(w, r, http.StatusAccepted, queuedUpdate{Status: StatusQueued, Memory: m})
		return
	}
	s.writeJSON(w, r, http.StatusOK, m)
}

// queuedUpdate is the 202 body of PATCH while the database is unavailable:
// the memory as it will be once the update is applied (only the fields
// the update sets, with id and namespace, when the service had no copy).
type queuedUpdate struct {
	Status string       `json:"status"`
	Memory *mimo.Memory `json:"memory"`
}

type deleteResponse struct {
	Deleted bool   `json:"deleted,omitempty"`
	Status  string `json:"status,omitempty"`
	ID      string `json:"id"`
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	ns, ok := s.namespaceParam(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	ctx, o := mimo.WithOutcome(r.Context())
	if err := s.svc.Delete(ctx, ns, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if o.Queued() {
		s.writeJSON(w, r, http.StatusAccepted, deleteResponse{Status: StatusQueued, ID: id})
		return
	}
	s.writeJSON(w, r, http.StatusOK, deleteResponse{Deleted: true, ID: id})
}

// namespaceParam reads the only query parameter GET and DELETE of one
// memory take. On error it has answered and returns false.
func (s *Server) namespaceParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	q, err := parseQuery(r, "namespace")
	if err == nil {
		var ns string
		if ns, err = q.namespace(); err == nil {
			return ns, true
		}
	}
	s.writeError(w, r, err)
	return "", false
}
