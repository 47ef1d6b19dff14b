package load

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
)

// vuCookies is a VU's cookie jar, as k6 keeps one per VU and empties it at the start of
// every iteration: cookies a response sets go with the VU's later requests to that site
// within the same iteration, redirects included. It is safe for concurrent use
// (http.batch). Until a response sets a cookie it costs a request nothing.
type vuCookies struct {
	mu  sync.Mutex
	jar *cookiejar.Jar // nil while empty
}

// reset empties the jar (a new iteration).
func (c *vuCookies) reset() {
	c.mu.Lock()
	c.jar = nil
	c.mu.Unlock()
}

// header returns h with the jar's cookies for u added, copying h when it adds any.
func (c *vuCookies) header(u *url.URL, h http.Header) http.Header {
	c.mu.Lock()
	jar := c.jar
	c.mu.Unlock()
	if jar == nil {
		return h
	}
	cs := jar.Cookies(u)
	if len(cs) == 0 {
		return h
	}
	req := &http.Request{Header: h.Clone()}
	for _, ck := range cs {
		req.AddCookie(ck)
	}
	return req.Header
}

// store keeps the cookies resp sets for u.
func (c *vuCookies) store(u *url.URL, resp *http.Response) {
	cs := resp.Cookies()
	if len(cs) == 0 {
		return
	}
	c.mu.Lock()
	if c.jar == nil {
		c.jar, _ = cookiejar.New(nil) // only fails on bad options; there are none
	}
	jar := c.jar
	c.mu.Unlock()
	jar.SetCookies(u, cs)
}
