package sqlite

import (
	"context"
	"database/sql"
)

// wtx is a write transaction that prepares each distinct statement once,
// which matters for batches of hundreds of memories.
type wtx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (w *wtx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

func (w *wtx) exec(query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *wtx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

func (w *wtx) queryRow(query string, args ...any) *sql.Row {
	st, err := w.stmt(query)
	if err != nil {
		// QueryRowContext on the transaction reports the same error
		// through Scan.
		return w.tx.QueryRowContext(w.ctx, query, args...)
	}
	return st.QueryRowContext(w.ctx, args...)
}

// write runs fn in one IMMEDIATE transaction on the writer connection and
// commits it if fn returns nil. Errors are mapped with dbErr.
func (s *Store) write(ctx context.Context, what string, fn func(w *wtx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(ctx, err, what)
	}
	w := &wtx{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
	err = fn(w)
	for _, st := range w.stmts {
		st.Close()
	}
	if err != nil {
		_ = tx.Rollback()
		return dbErr(ctx, err, what)
	}
	if err := tx.Commit(); err != nil {
		return dbErr(ctx, err, what)
	}
	return nil
}

// logChange appends one entry to the change log inside w.
func logChange(w *wtx, op, id, ns string) error {
	_, err := w.exec(`INSERT INTO changes (op, memory_id, namespace) VALUES (?, ?, ?)`, op, id, ns)
	return err
}
