package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// createMemory inserts one memory unless its namespace already holds the
// content, or it supersedes a memory the namespace does not hold (locking
// that memory otherwise), and marks the superseded memory, all in one
// statement. A memory created with an access count or time (an import)
// gets its memory_access row in the same statement; the row is returned
// with those values as given, since the statement cannot read its own
// insert. It returns the new row, or no row when nothing was written;
// the caller then finds out why. A unique violation (ID taken, or the same
// content stored concurrently) also means no row, never an error.
const createMemory = `WITH ins AS (
	INSERT INTO memories AS m (id, namespace, content, content_hash, category, importance,
		tags, metadata, created_at, updated_at, supersedes, embedding, embedding_model, embedding_dim)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::float8, $7::text[], $8::jsonb,
		$9::timestamptz, $10::timestamptz, NULLIF($13::text, ''),
		$14::bytea, $15::text, $16::int
	WHERE NOT EXISTS (SELECT 1 FROM memories d WHERE d.namespace = $2 AND d.content_hash = $4)
		AND ($13 = '' OR EXISTS (SELECT 1 FROM memories s WHERE s.namespace = $2 AND s.id = $13 FOR UPDATE))
	ON CONFLICT DO NOTHING
	RETURNING ` + memoryColumnsHead + `$11::timestamptz AS last_accessed_at, $12::bigint AS access_count` +
	memoryColumnsTail + `m.embedding, m.embedding_model, m.embedding_dim
), sup AS (
	UPDATE memories s SET superseded_by = $1
	WHERE $13 <> '' AND s.namespace = $2 AND s.id = $13 AND EXISTS (SELECT 1 FROM ins)
), access AS (
	INSERT INTO memory_access (memory_id, access_count, last_accessed_at)
	SELECT id, $12::bigint, $11::timestamptz FROM ins
	WHERE $12::bigint <> 0 OR $11::timestamptz IS NOT NULL
)
SELECT * FROM ins`

// customPlans makes every statement of the rest of the transaction plan
// against the table as it is now. A batch runs createMemory a thousand times
// on one connection, as a prepared statement; after five runs Postgres may
// switch to a generic plan and keep it until the table is next analyzed. On
// a fresh table that plan is made while memories holds a handful of rows and
// has no statistics, when every index on namespace costs the same, and it
// can pick memories_namespace_created_at for the content-hash and supersede
// lookups: each insert then scans the whole namespace, so ingest slows down
// quadratically until autovacuum's first ANALYZE replans it (10,000
// memories at 336/s, 2.5 ms per insert, instead of 0.3 ms). A custom plan
// sees the table's current size even before any ANALYZE and picks the
// unique (namespace, content_hash) index; planning it again costs less than
// the insert itself. SET LOCAL ends with the transaction.
const customPlans = `SET LOCAL plan_cache_mode = force_custom_plan`

// newItem is one memory to create, prepared.
type newItem struct {
	m    *mimo.Memory
	meta string
	err  error // from prepare: the item is not sent
}

func (it newItem) args() []any {
	c := it.m
	return []any{c.ID, c.Namespace, c.Content, c.ContentHash, string(c.Category), c.Importance,
		c.Tags, it.meta, c.CreatedAt, c.UpdatedAt, c.LastAccessedAt, c.AccessCount, c.Supersedes,
		vectorBytes(c.Embedding), c.Embedding.Model, c.Embedding.Dim}
}

// CreateMemory stores m, or returns the memory of m's namespace that already
// holds the same content (created false, nothing written, not even the
// supersede). See memorykit.Prepare for the defaults applied. Errors: EINVALID (nil
// memory, empty ID, metadata not a JSON object, an embedding whose length
// is not its Dim, NUL bytes or invalid UTF-8), ECONFLICT (ID in use),
// ENOTFOUND (Supersedes names no memory of the namespace), EUNAVAILABLE.
func (s *Store) CreateMemory(ctx context.Context, m *mimo.Memory) (*mimo.Memory, bool, error) {
	return memorykit.CreateOne(ctx, s.CreateMemories, m)
}

// CreateMemories stores ms in one transaction, each item as CreateMemory
// would, in input order: an item may supersede one stored earlier in the
// batch, and repeated content resolves to its first item. An item's own
// failure (EINVALID, ENOTFOUND, ECONFLICT) is its CreateResult.Err and
// leaves no trace; the others are still stored. The call fails, storing
// nothing, only when the transaction does (EUNAVAILABLE, a cancelled
// context).
//
// A batch in which no item supersedes a memory (the common case: an
// import) is inserted by one statement; otherwise each item's statement
// goes to the server in one pipeline, so that a supersede sees the items
// before it. In the rare case that this cannot tell what happened to an
// item (a value the database rejects, a concurrent writer changing the same
// memories), the transaction is rolled back and the batch is replayed one
// item at a time, each in a savepoint.
func (s *Store) CreateMemories(ctx context.Context, ms []*mimo.Memory) ([]mimo.CreateResult, error) {
	out := make([]mimo.CreateResult, len(ms))
	if len(ms) == 0 {
		return out, nil
	}
	items := make([]newItem, len(ms))
	for i, m := range ms {
		c, meta, err := prepare(m)
		items[i] = newItem{m: c, meta: meta, err: err}
	}
	slow := false
	err := s.inTx(ctx, "create memories", func(ctx context.Context, tx pgx.Tx) error {
		var log changeLog
		err := createPipelined(ctx, tx, items, out, &log)
		if slow = errors.Is(err, errReplay); err != nil {
			return err
		}
		return log.write(ctx, tx)
	})
	if slow {
		err = s.inTx(ctx, "create memories", func(ctx context.Context, tx pgx.Tx) error {
			var log changeLog
			if err := createEach(ctx, tx, items, out, &log); err != nil {
				return err
			}
			return log.write(ctx, tx)
		})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errReplay rolls back a pipelined batch that must be replayed item by
// item. It never reaches a caller: the replay's outcome replaces it.
var errReplay = &mimo.Error{Code: mimo.EUNAVAILABLE, Message: "postgres: replay the batch one item at a time"}

// createPipelined inserts the valid items (insertAll when none of them
// supersedes a memory, else insertEach) and then explains, in input order,
// each item that was not inserted. It returns errReplay when the items must
// be replayed one by one.
func createPipelined(ctx context.Context, tx pgx.Tx, items []newItem, out []mimo.CreateResult, log *changeLog) error {
	order := insertOrder(items)
	stored := make([]*mimo.Memory, len(items))
	insert := insertAll
	for _, i := range order {
		if items[i].m.Supersedes != "" {
			insert = insertEach
			break
		}
	}
	if len(order) > 0 {
		if err := insert(ctx, tx, items, order, stored); err != nil {
			return err
		}
	}
	insertedBy := map[string]int{} // ID → index of the item that inserted it
	for i, m := range stored {
		if m != nil {
			insertedBy[m.ID] = i
		}
	}

	// Most items not inserted hold content already stored (a repeated
	// import): fetch those memories in one query.
	existingByHash, err := byContents(ctx, tx, items, stored)
	if err != nil {
		return err
	}

	// What each item saw is the database before the batch plus the items
	// before it; rows the batch inserted later must not explain an item.
	before := func(i int, id string) (inBatch, earlier bool) {
		j, ok := insertedBy[id]
		return ok, ok && j < i
	}
	byHash := map[[2]string]*mimo.Memory{}
	for i, it := range items {
		if it.err != nil {
			out[i] = mimo.CreateResult{Err: it.err}
			continue
		}
		c := it.m
		key := [2]string{c.Namespace, c.ContentHash}
		if m := stored[i]; m != nil {
			out[i] = mimo.CreateResult{Memory: m, Created: true}
			byHash[key] = m
			log.upsert(c.Namespace, c.ID)
			if c.Supersedes != "" {
				log.upsert(c.Namespace, c.Supersedes)
			}
			continue
		}
		if m, ok := byHash[key]; ok {
			out[i] = mimo.CreateResult{Memory: m}
			continue
		}
		if existing := existingByHash[key]; existing != nil {
			if inBatch, _ := before(i, existing.ID); !inBatch {
				out[i] = mimo.CreateResult{Memory: existing}
				continue
			}
		}
		taken, err := idExists(ctx, tx, "", c.ID)
		if err != nil {
			return err
		}
		if inBatch, earlier := before(i, c.ID); earlier || (taken && !inBatch) {
			out[i] = mimo.CreateResult{Err: memorykit.IDTaken(c.ID)}
			continue
		}
		if c.Supersedes != "" {
			found, err := idExists(ctx, tx, c.Namespace, c.Supersedes)
			if err != nil {
				return err
			}
			inBatch, earlier := before(i, c.Supersedes)
			if earlier {
				found = items[insertedBy[c.Supersedes]].m.Namespace == c.Namespace
			} else if inBatch {
				found = false // inserted by a later item
			}
			if !found {
				out[i] = mimo.CreateResult{Err: memorykit.SupersededNotFound(c.Supersedes)}
				continue
			}
		}
		// Nothing explains it in input order: the pipeline ran in another
		// order, or a concurrent writer got in between.
		return errReplay
	}
	return nil
}

// insertEach runs createMemory for the items in order, all in one
// pipeline, and sets stored[i] to the row item i inserted.
func insertEach(ctx context.Context, tx pgx.Tx, items []newItem, order []int, stored []*mimo.Memory) error {
	b := &pgx.Batch{}
	b.Queue(customPlans)
	for _, i := range order {
		b.Queue(createMemory, items[i].args()...)
	}
	br := tx.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return err
	}
	for _, i := range order {
		m, err := scanMemory(br.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			_ = br.Close()
			return replayOn(err)
		}
		stored[i] = m
	}
	if err := br.Close(); err != nil {
		return replayOn(err)
	}
	return nil
}

// createMemories inserts many memories that supersede nothing, in one
// statement: each column comes as an array with one element per memory,
// and the rows go in in the arrays' order. A row whose content its
// namespace already holds, or whose ID is taken (by a stored memory or an
// earlier row of the same statement), is skipped by ON CONFLICT, and only
// the inserted rows come back. Tags, an array per memory, come flattened
// into one array ($7) with each memory's slice of it ($8, $9; an empty
// slice when from > to). Items alike in ID, namespace and content are
// one row (the first: the others could only be skipped). A memory created
// with an access count or time (an import) gets its memory_access row in
// the same statement, and each row comes back with the values as given,
// since the statement cannot read its own inserts.
//
// Its plan is the same whatever the table holds (a scan of the arrays, a
// sort, the insert; duplicates are found by the unique indexes' own
// checks), unlike createMemory's lookups; it still runs after customPlans,
// for the statements that then explain the items not inserted. It is
// several times cheaper than a statement per memory: one plan, one
// executor start and one round of messages per batch instead of per
// memory.
const createMemories = `WITH u AS (
	SELECT DISTINCT ON (u.id, u.namespace, u.content_hash) u.*
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
		$8::int[], $9::int[], $10::text[], $11::timestamptz[], $12::timestamptz[],
		$13::timestamptz[], $14::bigint[], $15::bytea[], $16::text[], $17::int[])
		WITH ORDINALITY AS u(id, namespace, content, content_hash, category, importance,
			tags_from, tags_to, metadata, created_at, updated_at, last_accessed_at, access_count,
			embedding, embedding_model, embedding_dim, ord)
	ORDER BY u.id, u.namespace, u.content_hash, u.ord
), ins AS (
	INSERT INTO memories AS m (id, namespace, content, content_hash, category, importance,
		tags, metadata, created_at, updated_at, embedding, embedding_model, embedding_dim)
	SELECT u.id, u.namespace, u.content, u.content_hash, u.category, u.importance,
		($7::text[])[u.tags_from:u.tags_to], u.metadata::jsonb, u.created_at, u.updated_at,
		u.embedding, u.embedding_model, u.embedding_dim
	FROM u
	ORDER BY u.ord
	ON CONFLICT DO NOTHING
	RETURNING m.id, m.namespace, m.content, m.content_hash, m.category, m.importance, m.tags,
		m.metadata, m.created_at, m.updated_at, m.supersedes, m.superseded_by,
		m.embedding, m.embedding_model, m.embedding_dim
), access AS (
	INSERT INTO memory_access (memory_id, access_count, last_accessed_at)
	SELECT m.id, u.access_count, u.last_accessed_at
	FROM ins m JOIN u ON u.id = m.id AND u.namespace = m.namespace AND u.content_hash = m.content_hash
	WHERE u.access_count <> 0 OR u.last_accessed_at IS NOT NULL
)
SELECT ` + memoryColumnsHead + `u.last_accessed_at, u.access_count` + memoryColumnsTail +
	`m.embedding, m.embedding_model, m.embedding_dim
FROM ins m JOIN u ON u.id = m.id AND u.namespace = m.namespace AND u.content_hash = m.content_hash
`

// insertAll inserts the items, none of which supersedes a memory, with one
// createMemories in the given order, and sets stored[i] to the row item i
// inserted.
func insertAll(ctx context.Context, tx pgx.Tx, items []newItem, order []int, stored []*mimo.Memory) error {
	n := len(order)
	var (
		ids, namespaces, contents, hashes = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		categories, metas, models         = make([]string, n), make([]string, n), make([]string, n)
		importances                       = make([]float64, n)
		tags                              []string
		tagsFrom, tagsTo, dims            = make([]int32, n), make([]int32, n), make([]int32, n)
		created, updated                  = make([]time.Time, n), make([]time.Time, n)
		accessed                          = make([]*time.Time, n)
		counts                            = make([]int64, n)
		vectors                           = make([][]byte, n)
	)
	// The row an item inserts is known by its ID, namespace and content:
	// of several items alike in all three, only the first can be inserted.
	byKey := make(map[[3]string]int, n)
	for k, i := range order {
		c := items[i].m
		ids[k], namespaces[k], contents[k], hashes[k] = c.ID, c.Namespace, c.Content, c.ContentHash
		categories[k], metas[k], importances[k] = string(c.Category), items[i].meta, c.Importance
		tagsFrom[k] = int32(len(tags) + 1)
		tags = append(tags, c.Tags...)
		tagsTo[k] = int32(len(tags))
		created[k], updated[k], accessed[k], counts[k] = c.CreatedAt, c.UpdatedAt, c.LastAccessedAt, c.AccessCount
		vectors[k], models[k], dims[k] = vectorBytes(c.Embedding), c.Embedding.Model, int32(c.Embedding.Dim)
		key := [3]string{c.ID, c.Namespace, c.ContentHash}
		if _, ok := byKey[key]; !ok {
			byKey[key] = i
		}
	}
	if tags == nil {
		tags = []string{}
	}
	b := &pgx.Batch{}
	b.Queue(customPlans)
	b.Queue(createMemories, ids, namespaces, contents, hashes, categories, importances,
		tags, tagsFrom, tagsTo, metas, created, updated, accessed, counts, vectors, models, dims)
	br := tx.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return replayOn(err)
	}
	ms, err := collectMemories(rows)
	if err != nil {
		_ = br.Close()
		return replayOn(err)
	}
	if err := br.Close(); err != nil {
		return replayOn(err)
	}
	for _, m := range ms {
		i, ok := byKey[[3]string{m.ID, m.Namespace, m.ContentHash}]
		if !ok || stored[i] != nil {
			return mimo.Errorf(mimo.EINTERNAL, "postgres: the batch insert returned memory %s, which no item holds", m.ID)
		}
		stored[i] = m
	}
	return nil
}

// insertOrder returns the indices of the valid items in the order they are
// inserted (their statements run, or their rows go in): sorted by
// namespace and content hash, so that writers storing overlapping content
// lock the same unique-index keys in the same order and cannot deadlock;
// the first of repeated contents still goes first. An item that supersedes
// another item of the batch must run after it, so such a batch keeps input
// order.
func insertOrder(items []newItem) []int {
	var order []int
	ids := map[string]bool{}
	for i, it := range items {
		if it.err == nil {
			order = append(order, i)
			ids[it.m.ID] = true
		}
	}
	for _, i := range order {
		if sup := items[i].m.Supersedes; sup != "" && ids[sup] {
			return order
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ma, mb := items[a].m, items[b].m
		return cmp.Or(strings.Compare(ma.Namespace, mb.Namespace), strings.Compare(ma.ContentHash, mb.ContentHash))
	})
	return order
}

// replayOn returns errReplay for an error one item may have caused (a value
// the database rejects), else err.
func replayOn(err error) error {
	if classify(err) == mimo.EINVALID {
		return errReplay
	}
	return err
}

// createEach creates the items one at a time, each in a savepoint, so an
// item whose statement fails leaves the others standing.
func createEach(ctx context.Context, tx pgx.Tx, items []newItem, out []mimo.CreateResult, log *changeLog) error {
	if _, err := tx.Exec(ctx, customPlans); err != nil {
		return err
	}
	for i, it := range items {
		if it.err != nil {
			out[i] = mimo.CreateResult{Err: it.err}
			continue
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		var itemLog changeLog
		m, created, err := createOne(ctx, sp, it, &itemLog)
		if err != nil {
			_ = sp.Rollback(ctx)
			if e := asMimo(err); memorykit.ItemError(e) {
				out[i] = mimo.CreateResult{Err: e}
				continue
			}
			return err
		}
		if err := sp.Commit(ctx); err != nil {
			return err
		}
		out[i] = mimo.CreateResult{Memory: m, Created: created}
		log.append(&itemLog)
	}
	return nil
}

// createOne creates one item inside tx and records its change-log entries.
// When nothing was written it finds out why, in CreateMemory's order:
// existing content, a used ID, a missing memory to supersede. If none of
// these holds, a concurrent writer changed things in between and it tries
// again.
func createOne(ctx context.Context, tx pgx.Tx, it newItem, log *changeLog) (*mimo.Memory, bool, error) {
	c := it.m
	for range 3 {
		m, err := scanMemory(tx.QueryRow(ctx, createMemory, it.args()...))
		if err == nil {
			log.upsert(c.Namespace, c.ID)
			if c.Supersedes != "" {
				log.upsert(c.Namespace, c.Supersedes)
			}
			return m, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, false, err
		}
		if existing, err := byContent(ctx, tx, c.Namespace, c.ContentHash); err != nil || existing != nil {
			return existing, false, err
		}
		if taken, err := idExists(ctx, tx, "", c.ID); err != nil || taken {
			if err == nil {
				err = memorykit.IDTaken(c.ID)
			}
			return nil, false, err
		}
		if c.Supersedes != "" {
			if found, err := idExists(ctx, tx, c.Namespace, c.Supersedes); err != nil || !found {
				if err == nil {
					err = memorykit.SupersededNotFound(c.Supersedes)
				}
				return nil, false, err
			}
		}
	}
	return nil, false, mimo.Errorf(mimo.EUNAVAILABLE, "memory %s kept changing concurrently; try again", c.ID)
}

// asMimo returns err as a *mimo.Error, classifying a raw database error
// without logging it.
func asMimo(err error) *mimo.Error {
	var me *mimo.Error
	if errors.As(err, &me) {
		return me
	}
	return mimo.Wrap(classify(err), err, "postgres: cannot store the memory")
}

// byContent returns the memory of namespace with the given content hash, or
// nil when there is none.
func byContent(ctx context.Context, q pgx.Tx, namespace, hash string) (*mimo.Memory, error) {
	m, err := scanMemory(q.QueryRow(ctx, `SELECT `+memoryColumns+` FROM memories m
		WHERE m.namespace = $1 AND m.content_hash = $2`, namespace, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

// byContents returns the stored memories holding the content of the items
// that were not inserted (stored[i] nil), by namespace and content hash.
func byContents(ctx context.Context, q pgx.Tx, items []newItem, stored []*mimo.Memory) (map[[2]string]*mimo.Memory, error) {
	var namespaces, hashes []string
	for i, it := range items {
		if it.err == nil && stored[i] == nil {
			namespaces = append(namespaces, it.m.Namespace)
			hashes = append(hashes, it.m.ContentHash)
		}
	}
	out := map[[2]string]*mimo.Memory{}
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT `+memoryColumns+` FROM memories m
		JOIN unnest($1::text[], $2::text[]) AS k(namespace, hash)
			ON m.namespace = k.namespace AND m.content_hash = k.hash`, namespaces, hashes)
	if err != nil {
		return nil, err
	}
	ms, err := collectMemories(rows)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		out[[2]string{m.Namespace, m.ContentHash}] = m
	}
	return out, nil
}

// idExists reports whether a memory has the ID, in namespace or, when
// namespace is "", in any namespace (IDs are unique across namespaces).
func idExists(ctx context.Context, q pgx.Tx, namespace, id string) (bool, error) {
	var found bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memories WHERE id = $2 AND ($1 = '' OR namespace = $1))`,
		namespace, id).Scan(&found)
	return found, err
}
