package httpapi

import (
	"net/http"

	mimo "mimo/system"
)

// searchRequest is the body of POST /api/search. Categories and Category
// are two spellings of one filter (any of them matches); both may be given.
// Times are RFC 3339 strings, parsed here so that an error names the field.
type searchRequest struct {
	Query             string          `json:"query"`
	Namespace         string          `json:"namespace"`
	Categories        []mimo.Category `json:"categories"`
	Category          mimo.Category   `json:"category"`
	Tags              []string        `json:"tags"`
	Since             string          `json:"since"`
	Until             string          `json:"until"`
	IncludeSuperseded bool            `json:"include_superseded"`
	Limit             int             `json:"limit"`
	Cursor            string          `json:"cursor"`
}

func (req searchRequest) searchQuery() (mimo.SearchQuery, error) {
	q := mimo.SearchQuery{
		Filter: mimo.Filter{
			Namespace:         req.Namespace,
			Categories:        req.Categories,
			Tags:              req.Tags,
			IncludeSuperseded: req.IncludeSuperseded,
		},
		Query:  req.Query,
		Limit:  req.Limit,
		Cursor: req.Cursor,
	}
	if req.Category != "" {
		q.Categories = append(q.Categories, req.Category)
	}
	var err error
	if q.Since, err = mimo.ParseTime(`field "since"`, req.Since); err != nil {
		return q, err
	}
	if q.Until, err = mimo.ParseTime(`field "until"`, req.Until); err != nil {
		return q, err
	}
	return q, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req searchRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	sq, err := req.searchQuery()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.svc.Search(r.Context(), sq)
	if err == nil && page == nil {
		err = mimo.Errorf(mimo.EINTERNAL, "service returned no search page")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if page.Results == nil {
		page.Results = []mimo.SearchResult{}
	}
	s.writeJSON(w, r, http.StatusOK, page)
}
