package postgres_test

import (
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres"
	"mimo/system/postgres/pgtest"
	"mimo/system/storetest"
)

// hangGuard bounds how long a call that must not hang may take before the
// test gives up on it; far above every timeout the tests configure.
const hangGuard = 30 * time.Second

// returns runs fn and fails the test if it has not returned within
// hangGuard.
func returns[T any](t *testing.T, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatal("the call hung")
		panic("unreachable")
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "postgres://host:notaport/db", "nonsense=1 ==="} {
		_, err := postgres.Open(context.Background(), postgres.Options{URL: u})
		assert.Equal(t, mimo.EINVALID, mimo.ErrorCode(err), "URL %q: %v", u, err)
	}
}

// A port nobody listens on: Open fails at once with EUNAVAILABLE.
func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	err = returns(t, func() error {
		_, err := postgres.Open(context.Background(), postgres.Options{
			URL: "postgres://mimo@" + addr + "/mimo?sslmode=disable", ConnectTimeout: 2 * time.Second,
		})
		return err
	})
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%v", err)
	assert.Contains(t, mimo.ErrorMessage(err), "cannot connect")
	assert.NotContains(t, err.Error(), "password")
}

// A server that accepts connections and never answers: Open gives up after
// the connect timeout instead of hanging.
func TestOpenSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})
	err = returns(t, func() error {
		_, err := postgres.Open(context.Background(), postgres.Options{
			URL: "postgres://mimo@" + ln.Addr().String() + "/mimo?sslmode=disable", ConnectTimeout: 300 * time.Millisecond,
		})
		return err
	})
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%v", err)
}

// proxy forwards TCP connections to a Postgres server. Stop makes the
// server look dead (connections reset, new ones refused); Start brings it
// back on the same address; Partition silently drops all traffic.
type proxy struct {
	t         *testing.T
	addr      string
	target    string
	partition atomic.Bool
	mu        sync.Mutex
	ln        net.Listener
	conns     map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

func (p *proxy) Start() {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err)
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
}

func (p *proxy) serve(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(c, s) {
		return
	}
	go p.pipe(s, c)
	p.pipe(c, s)
}

// track registers a connection pair, or closes it if the proxy stopped.
func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

// pipe copies from src to dst, dropping everything while partitioned.
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.partition.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			// Pass the end on, as the server's or client's host would.
			_ = dst.Close()
			return
		}
	}
}

// Stop closes the listener and resets every connection.
func (p *proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, as a crashed server's host sends
		}
		_ = c.Close()
		delete(p.conns, c)
	}
}

// via returns dbURL with its host and port replaced by the proxy's.
func (p *proxy) via(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	u.Host = p.addr
	return u.String()
}

// proxied returns a migrated store reaching a fresh database through a
// proxy, the proxy, and the database's URL through the proxy.
func proxied(t *testing.T, o postgres.Options) (*postgres.Store, *proxy, string) {
	dbURL := pgtest.URL(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	p := newProxy(t, u.Host)
	o.URL = p.via(t, dbURL)
	s, err := postgres.Open(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, err = s.MigrateUp(context.Background())
	require.NoError(t, err)
	return s, p, o.URL
}

// everyCall exercises each kind of store call and returns their errors.
func everyCall(s *postgres.Store, ns, id string) map[string]error {
	ctx := context.Background()
	out := map[string]error{}
	out["Ping"] = s.Ping(ctx)
	_, out["GetMemory"] = s.GetMemory(ctx, ns, id)
	_, _, out["CreateMemory"] = s.CreateMemory(ctx, storetest.NewMemory(ns, "written while the database is away"))
	_, out["CreateMemories"] = s.CreateMemories(ctx, []*mimo.Memory{storetest.NewMemory(ns, "a batch while away")})
	_, out["ListMemories"] = s.ListMemories(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: ns}})
	_, out["TextSearch"] = s.TextSearch(ctx, "database", mimo.Filter{Namespace: ns}, 10)
	_, out["CountMemories"] = s.CountMemories(ctx, "*")
	_, out["Changes"] = s.Changes(ctx, 0, 10)
	out["TouchMemories"] = s.TouchMemories(ctx, ns, []string{id}, time.Now())
	return out
}

// The database stops mid-test: every call fails with EUNAVAILABLE rather
// than hanging or reporting an internal error, and the store recovers on
// its own once the database is back.
func TestServerStoppedMidTest(t *testing.T) {
	s, p, _ := proxied(t, postgres.Options{ConnectTimeout: time.Second, QueryTimeout: 5 * time.Second})
	m := storetest.NewMemory("gone", "stored before the database stopped")
	_, _, err := s.CreateMemory(context.Background(), m)
	require.NoError(t, err)

	p.Stop()
	errs := returns(t, func() map[string]error { return everyCall(s, "gone", m.ID) })
	for call, err := range errs {
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%s: %v", call, err)
	}

	p.Start()
	got, err := s.GetMemory(context.Background(), "gone", m.ID)
	require.NoError(t, err, "the pool reconnects when the database is back")
	storetest.AssertSameMemory(t, m, got, true)
}

// The network drops every packet: calls fail with EUNAVAILABLE once the
// query timeout expires, instead of hanging.
func TestPartitionedDatabaseTimesOut(t *testing.T) {
	// The set-up write uses the default timeouts, so a slow machine cannot
	// fail it; the short timeouts are for the calls under test.
	setup, p, viaProxy := proxied(t, postgres.Options{})
	m := storetest.NewMemory("partition", "stored before the partition")
	_, _, err := setup.CreateMemory(context.Background(), m)
	require.NoError(t, err)
	s, err := postgres.Open(context.Background(), postgres.Options{
		URL: viaProxy, ConnectTimeout: 500 * time.Millisecond, QueryTimeout: 500 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	p.partition.Store(true)
	errs := returns(t, func() map[string]error { return everyCall(s, "partition", m.ID) })
	for call, err := range errs {
		assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%s: %v", call, err)
	}

	p.partition.Store(false)
	p.Stop() // drop the connections the partition left half-open
	p.Start()
	_, err = setup.GetMemory(context.Background(), "partition", m.ID)
	require.NoError(t, err, "the database is reachable again")
}

// An administrator terminates every session of the database: the next
// calls succeed on fresh connections or fail with EUNAVAILABLE, never with
// an internal error, and the store keeps working.
func TestTerminatedBackends(t *testing.T) {
	s, dbURL := fresh(t)
	ctx := context.Background()
	m := storetest.NewMemory("term", "stored before the sessions were terminated")
	_, _, err := s.CreateMemory(ctx, m)
	require.NoError(t, err)

	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	dbName := u.Path[1:]
	admin, err := pgx.Connect(ctx, pgtest.ServerURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	var killed int
	require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid)
		FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) k`, dbName).Scan(&killed))
	require.Positive(t, killed, "the store had open sessions")

	for call, err := range everyCall(s, "term", m.ID) {
		if err != nil {
			t.Logf("%s after the sessions were terminated: %v", call, err)
			assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%s: %v", call, err)
		}
	}
	got, err := s.GetMemory(ctx, "term", m.ID)
	require.NoError(t, err)
	assert.Equal(t, m.Content, got.Content)
}

// A database that turned read-only (a standby after failover, or one set
// read-only by an operator): writes fail with EUNAVAILABLE, reads go on.
func TestReadOnlyDatabase(t *testing.T) {
	ctx := context.Background()
	rw, dbURL := fresh(t)
	m := storetest.NewMemory("ro", "stored while the database was writable")
	_, _, err := rw.CreateMemory(ctx, m)
	require.NoError(t, err)

	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	admin, err := pgx.Connect(ctx, pgtest.ServerURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{u.Path[1:]}.Sanitize()+" SET default_transaction_read_only = on")
	require.NoError(t, err)

	ro := open(t, dbURL) // new sessions start read-only
	_, _, err = ro.CreateMemory(ctx, storetest.NewMemory("ro", "refused"))
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%v", err)
	imp := 0.9
	_, err = ro.UpdateMemory(ctx, "ro", m.ID, mimo.MemoryUpdate{Importance: &imp})
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%v", err)
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(ro.DeleteMemory(ctx, "ro", m.ID)))
	got, err := ro.GetMemory(ctx, "ro", m.ID)
	require.NoError(t, err, "reads still work")
	assert.Equal(t, m.Content, got.Content)
}

// A database that does not exist on a running server: EUNAVAILABLE, and the
// message says why.
func TestOpenMissingDatabase(t *testing.T) {
	u, err := url.Parse(pgtest.ServerURL(t))
	require.NoError(t, err)
	u.Path = "/mimo_no_such_database"
	_, err = postgres.Open(context.Background(), postgres.Options{URL: u.String()})
	assert.Equal(t, mimo.EUNAVAILABLE, mimo.ErrorCode(err), "%v", err)
	assert.Contains(t, mimo.ErrorMessage(err), `"mimo_no_such_database" does not exist`)
}
