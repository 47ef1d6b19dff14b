package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	mimo "mimo/system"
	"mimo/system/postgres"
	"mimo/system/storetest"
)

// TestCreateMemoriesBeforeAnalyze stores batches into a freshly migrated
// table that has never been analyzed, on one connection, so the batch
// statement is prepared while the table is nearly empty and then reused as
// it grows. Each insert's content-hash lookup must go through the unique
// (namespace, content_hash) index: a plan that reads the namespace's rows
// of another index instead makes every insert cost the size of the table.
// The figure checked is the index tuples Postgres reports reading, not time.
// Batches with a supersede go one statement per item (whose plan this
// guards); batches without one go in one statement, covered too.
func TestCreateMemoriesBeforeAnalyze(t *testing.T) {
	for _, supersede := range []bool{true, false} {
		t.Run(fmt.Sprintf("supersede=%v", supersede), func(t *testing.T) {
			testCreateMemoriesBeforeAnalyze(t, supersede)
		})
	}
}

func testCreateMemoriesBeforeAnalyze(t *testing.T, supersede bool) {
	const batches, perBatch = 4, 500
	ctx := context.Background()
	_, url := fresh(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	// Keep autovacuum from analyzing the table mid-test: its ANALYZE would
	// replace a bad plan and hide it.
	_, err = conn.Exec(ctx, `ALTER TABLE memories SET (autovacuum_enabled = off)`)
	require.NoError(t, err)

	s := openWith(t, postgres.Options{URL: url, MaxConns: 1})
	for b := range batches {
		ms := make([]*mimo.Memory, perBatch)
		for i := range ms {
			ms[i] = storetest.NewMemory("plans", fmt.Sprintf("memory %d of batch %d", i, b))
		}
		if supersede {
			ms[perBatch-1].Supersedes = ms[0].ID
		}
		res, err := s.CreateMemories(ctx, ms)
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
			require.True(t, r.Created)
		}
	}
	// A backend reports its statistics when it exits, at the latest.
	require.NoError(t, s.Close())
	const total = batches * perBatch
	require.Eventually(t, func() bool {
		var inserted int64
		err := conn.QueryRow(ctx, `SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables
			WHERE relname = 'memories'`).Scan(&inserted)
		return err == nil && inserted == total
	}, 15*time.Second, 100*time.Millisecond, "the store's statistics never arrived")

	var analyzed bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL
		FROM pg_stat_user_tables WHERE relname = 'memories'`).Scan(&analyzed))
	require.False(t, analyzed, "the table was analyzed; the test no longer covers a fresh table")

	// Indexes other than the unique ones are read only by plans that scan a
	// namespace's rows. While the table holds a few hundred rows the planner
	// cannot tell the indexes on namespace apart and may scan (about 80,000
	// index tuples here in all); a plan that scans the namespace on every
	// insert reads about total²/2 = 2,000,000.
	var read int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes
		WHERE relname = 'memories' AND indexrelname NOT IN ('memories_pkey', 'memories_namespace_content_hash')`).Scan(&read))
	require.Less(t, read, int64(total*total/16), "inserts scanned the namespace instead of probing the unique index")
}
