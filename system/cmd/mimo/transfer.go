package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"mimo/system"
)

// The JSONL interchange of `mimo export` and `mimo import`: one object per
// line, told apart by "kind" (Mimo's own lines) or "type" (the official
// MCP memory server's memory.jsonl, whose entity and relation lines are
// read as they are).
type line struct {
	Kind string `json:"kind,omitempty"`
	Type string `json:"type,omitempty"` // the official server's spelling

	// kind "memory": the memory's JSON form.
	*mimo.Memory

	// kind or type "entity" and "relation".
	Name         string   `json:"name,omitempty"`
	EntityType   string   `json:"entityType,omitempty"`
	Observations []string `json:"observations,omitempty"`
	From         string   `json:"from,omitempty"`
	To           string   `json:"to,omitempty"`
	RelationType string   `json:"relationType,omitempty"`
}

// maxLineBytes bounds one JSONL line: a memory of 64 KiB escaped, or an
// entity with many observations.
const maxLineBytes = 64 << 20

// progressEvery is how many items pass between two progress lines.
const progressEvery = 500

// progress reports on w only when it is a terminal (stderr of an
// interactive shell), at most every progressEvery items.
type progress struct {
	w    io.Writer
	on   bool
	verb string
	n    int
}

func newProgress(w io.Writer, verb string) *progress {
	f, ok := w.(*os.File)
	on := false
	if ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progress{w: w, on: on, verb: verb}
}

func (p *progress) add(n int) {
	before := p.n / progressEvery
	p.n += n
	if p.on && p.n/progressEvery != before {
		fmt.Fprintf(p.w, "\r%s %d…", p.verb, p.n)
	}
}

func (p *progress) done() {
	if p.on && p.n >= progressEvery {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// runExport writes one namespace's memories (superseded ones too) and
// knowledge graph as JSONL to FILE, or to stdout without one.
func runExport(ctx context.Context, env Env, cfg *Config, args []string) error {
	ns := cfg.Cmd.Namespace
	if len(args) > 1 {
		return usageErr("export takes at most one FILE, got %q", args)
	}
	out := env.Stdout
	if len(args) == 1 {
		f, err := os.Create(args[0])
		if err != nil {
			return fmt.Errorf("cannot write %s: %v", args[0], err)
		}
		defer f.Close()
		out = f
	}
	c, err := openCore(ctx, cfg, newLogger(env, cfg))
	if err != nil {
		return err
	}
	defer c.close()
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	p := newProgress(env.Stderr, "exported")
	memories, entities, relations := 0, 0, 0
	for cursor := ""; ; {
		page, err := c.svc.List(ctx, mimo.ListQuery{Filter: mimo.Filter{Namespace: ns, IncludeSuperseded: true}, Limit: mimo.MaxListLimit, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, m := range page.Memories {
			if err := enc.Encode(line{Kind: "memory", Memory: m}); err != nil {
				return err
			}
		}
		memories += len(page.Memories)
		p.add(len(page.Memories))
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	for cursor := ""; ; {
		g, err := c.svc.ReadGraph(ctx, ns, cursor, mimo.MaxGraphLimit)
		if err != nil {
			return err
		}
		for _, e := range g.Entities {
			if err := enc.Encode(line{Kind: "entity", Name: e.Name, EntityType: e.EntityType, Observations: e.Observations}); err != nil {
				return err
			}
		}
		for _, r := range g.Relations {
			if err := enc.Encode(line{Kind: "relation", From: r.From, To: r.To, RelationType: r.RelationType}); err != nil {
				return err
			}
		}
		entities += len(g.Entities)
		relations += len(g.Relations)
		p.add(len(g.Entities) + len(g.Relations))
		if cursor = g.NextCursor; cursor == "" {
			break
		}
	}
	p.done()
	if err := w.Flush(); err != nil {
		return err
	}
	if len(args) == 1 {
		fmt.Fprintf(env.Stdout, "exported %d memories, %d entities and %d relations to %s\n", memories, entities, relations, args[0])
	}
	return nil
}

// runImport reads FILE (Mimo's export, or the official memory server's
// memory.jsonl) into the namespace given with --namespace, else each
// memory's own (default "default"). The whole file is read and checked
// before anything is written, so a malformed file changes nothing.
// Memories go through the service as new stores (fresh ids and times;
// content already stored is found, not doubled), entities are created or
// given their new observations, relations created once.
func runImport(ctx context.Context, env Env, cfg *Config, args []string) error {
	ns := cfg.Cmd.Namespace
	if len(args) != 1 {
		return usageErr("import needs exactly one FILE")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", args[0], err)
	}
	var (
		mems []mimo.StoreRequest
		ents []mimo.Entity
		rels []mimo.Relation
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	for n := 1; sc.Scan(); n++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			return usageErr("%s line %d: not a JSON object: %v", args[0], n, err)
		}
		kind := l.Kind
		if kind == "" {
			kind = l.Type
		}
		switch kind {
		case "memory":
			if l.Memory == nil || strings.TrimSpace(l.Content) == "" {
				return usageErr("%s line %d: a memory needs content", args[0], n)
			}
			target := l.Namespace
			if ns != "" {
				target = ns
			}
			// An absent importance takes the default, not 0.
			var given struct {
				Importance *float64 `json:"importance"`
			}
			_ = json.Unmarshal(raw, &given)
			mems = append(mems, mimo.StoreRequest{Namespace: target, Content: l.Content, Category: l.Category,
				Importance: given.Importance, Tags: l.Tags, Metadata: l.Metadata})
		case "entity":
			if l.Name == "" || l.EntityType == "" {
				return usageErr("%s line %d: an entity needs name and entityType", args[0], n)
			}
			ents = append(ents, mimo.Entity{Name: l.Name, EntityType: l.EntityType, Observations: l.Observations})
		case "relation":
			if l.From == "" || l.To == "" || l.RelationType == "" {
				return usageErr("%s line %d: a relation needs from, to and relationType", args[0], n)
			}
			rels = append(rels, mimo.Relation{From: l.From, To: l.To, RelationType: l.RelationType})
		default:
			return usageErr("%s line %d: unknown kind %q; lines are memories, entities or relations", args[0], n, kind)
		}
	}
	if err := sc.Err(); err != nil {
		return usageErr("%s: %v", args[0], err)
	}

	c, err := openCore(ctx, cfg, newLogger(env, cfg))
	if err != nil {
		return err
	}
	defer c.close()
	began := time.Now()
	p := newProgress(env.Stderr, "imported")
	created, existing := 0, 0
	for lo := 0; lo < len(mems); lo += mimo.MaxBatch {
		res, err := c.svc.StoreBatch(ctx, mems[lo:min(lo+mimo.MaxBatch, len(mems))])
		if err != nil {
			return fmt.Errorf("after %d memories: %w", created+existing, err)
		}
		for i, r := range res {
			if r.Err != nil {
				return fmt.Errorf("memory %d of the file: %w (the %d before it are imported)", lo+i+1, r.Err, created+existing)
			}
			if r.Result.Created || r.Result.Queued {
				created++
			} else {
				existing++
			}
		}
		p.add(len(res))
	}
	newEntities, addedObs, newRelations := 0, 0, 0
	for lo := 0; lo < len(ents); lo += mimo.MaxGraphBatch {
		batch := ents[lo:min(lo+mimo.MaxGraphBatch, len(ents))]
		made, err := c.svc.CreateEntities(ctx, ns, batch)
		if err != nil {
			return fmt.Errorf("importing entities: %w", err)
		}
		newEntities += len(made)
		// Entities that were there already get the observations they lack.
		fresh := map[string]bool{}
		for _, e := range made {
			fresh[e.Name] = true
		}
		var adds []mimo.ObservationAdd
		for _, e := range batch {
			if !fresh[e.Name] && len(e.Observations) > 0 {
				adds = append(adds, mimo.ObservationAdd{EntityName: e.Name, Contents: e.Observations})
			}
		}
		if len(adds) > 0 {
			added, err := c.svc.AddObservations(ctx, ns, adds)
			if err != nil {
				return fmt.Errorf("importing observations: %w", err)
			}
			for _, a := range added {
				addedObs += len(a.Contents)
			}
		}
		p.add(len(batch))
	}
	for lo := 0; lo < len(rels); lo += mimo.MaxGraphBatch {
		made, err := c.svc.CreateRelations(ctx, ns, rels[lo:min(lo+mimo.MaxGraphBatch, len(rels))])
		if err != nil {
			return fmt.Errorf("importing relations: %w", err)
		}
		newRelations += len(made)
		p.add(len(made))
	}
	p.done()
	fmt.Fprintf(env.Stdout, "imported %s: %d memories stored (%d already there), %d entities created, %d observations added, %d relations created in %.1f s\n",
		args[0], created, existing, newEntities, addedObs, newRelations, time.Since(began).Seconds())
	return nil
}
