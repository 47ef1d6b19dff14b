// Package storetest is the contract suite every mimo.Store must pass. A
// store's own test calls Run with a function that opens a fresh, migrated,
// empty store:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) mimo.Store {
//			s := openFreshStore(t) // registers its own cleanup
//			return s
//		})
//	}
//
// RunGraph is the same for mimo.GraphStore, RunMigrator for mimo.Migrator
// and RunBackuper for mimo.Backuper with the store package's restore.
//
// The suite is dialect-neutral: it talks to the store only through
// mimo.Store. Sub-tests run one after another, each on its own store.
//
// Beyond what the mimo.Store doc comments say, the suite pins down these
// decisions, which every store must follow:
//
//   - Namespace "" means mimo.DefaultNamespace in every method, as it does
//     in Filter. "*" means all namespaces in CountMemories only.
//   - Stores return timestamps in UTC with microsecond precision, Tags as a
//     non-nil slice in stored order, Metadata as a JSON object ({} when none
//     was given; keys may be re-encoded), ContentHash, and EmbeddingModel and
//     EmbeddingDim mirroring the embedding. A zero Embedding stays zero.
//     CreateMemory keeps the caller's AccessCount and LastAccessedAt (imports
//     carry them).
//   - CreateMemory: nil memory, empty ID or metadata that is not a JSON object
//     is EINVALID; an ID already used is ECONFLICT. When the namespace already
//     holds the content, nothing at all is written (not even a supersede) and
//     no change is logged. A failed create writes nothing.
//   - CreateMemories: an empty batch is no error. Each item is handled as
//     CreateMemory would, in input order, so an item may supersede one stored
//     earlier in the same batch and a repeated content resolves to the first.
//     An item's own failure (EINVALID, ENOTFOUND for a bad supersedes,
//     ECONFLICT) is reported in its CreateResult.Err, is not stored, and does
//     not stop the other items. The call itself fails, storing nothing, only
//     when the whole batch cannot be written (database down, cancelled).
//   - TouchMemories ignores IDs that are missing or of another namespace,
//     leaves UpdatedAt alone and logs no change (access counts are not what
//     the change log is for).
//   - UpdateMemory recomputes ContentHash when Content changes; a zero
//     UpdatedAt means now. Metadata that is not a JSON object is EINVALID.
//   - DeleteMemory of a memory that superseded another makes the other
//     current again, and logs an upsert for it.
//   - ListMemories and RecentMemories order by CreatedAt, newest first, even
//     when IDs disagree (imports keep old timestamps); ties are broken in a
//     fixed order so that paging has no gaps or repeats. Limit 0 means
//     DefaultListLimit. ListMemories cuts more than MaxListLimit to
//     MaxListLimit; RecentMemories keeps a larger limit (search pages
//     through the newest memories when no word matches). NextCursor is ""
//     when no memory follows the page, even if the page is full. A cursor
//     the store did not make is EINVALID.
//   - TextSearch: limit 0 means DefaultSearchLimit, more than MaxSearchLimit
//     is cut to MaxSearchLimit. Text with no words gives no hits and no error.
//     Ranks are larger for better matches.
//   - CountMemories counts superseded memories too.
//   - The change log: every create, supersede, update and delete appends
//     entries (a create that supersedes logs an upsert for both memories; a
//     delete logs a delete, plus an upsert for a memory it un-supersedes).
//     Idempotent creates and touches append nothing.
//   - A cancelled or expired context makes a method return an error promptly,
//     and the store keeps working for other contexts.
package storetest

import (
	"testing"

	"mimo/system"
)

// Run runs the whole contract suite as sub-tests of t, opening a new store
// for each.
func Run(t *testing.T, open func(t *testing.T) mimo.Store) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, s mimo.Store)
}

func cases() []testCase {
	var all []testCase
	all = append(all, createCases()...)
	all = append(all, batchCases()...)
	all = append(all, readCases()...)
	all = append(all, updateCases()...)
	all = append(all, listCases()...)
	all = append(all, searchCases()...)
	all = append(all, changeCases()...)
	all = append(all, isolationCases()...)
	all = append(all, robustnessCases()...)
	all = append(all, embeddingCases()...)
	return all
}
