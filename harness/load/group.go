package load

import (
	"strings"
	"sync"
)

// Group is a node of k6's group tree: the checks made directly inside it and the groups
// nested in it, each in the order first seen. Path is "" for the root, "::a::b" inside a
// then b.
type Group struct {
	Name   string
	Path   string
	Groups []*Group
	Checks []*Check
}

// Check counts the passes and fails of one named check inside one group.
type Check struct {
	Name   string
	Path   string // the group's path, "::", the check's name
	Passes int64
	Fails  int64
}

// groupTree is the run's group tree; safe for concurrent use.
type groupTree struct {
	mu   sync.Mutex
	root *Group
}

func newGroupTree() *groupTree { return &groupTree{root: &Group{}} }

// group returns the node at path, making it and its parents as needed. Callers hold mu.
func (t *groupTree) group(path string) *Group {
	g := t.root
	if path == "" {
		return g
	}
	for _, name := range strings.Split(strings.TrimPrefix(path, "::"), "::") {
		var next *Group
		for _, c := range g.Groups {
			if c.Name == name {
				next = c
				break
			}
		}
		if next == nil {
			next = &Group{Name: name, Path: g.Path + "::" + name}
			g.Groups = append(g.Groups, next)
		}
		g = next
	}
	return g
}

// enter records that a group was entered, so it appears even when it holds no check.
func (t *groupTree) enter(path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.group(path)
}

// check records one outcome of the check name inside the group at path.
func (t *groupTree) check(path, name string, pass bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.group(path)
	var c *Check
	for _, x := range g.Checks {
		if x.Name == name {
			c = x
			break
		}
	}
	if c == nil {
		c = &Check{Name: name, Path: path + "::" + name}
		g.Checks = append(g.Checks, c)
	}
	if pass {
		c.Passes++
	} else {
		c.Fails++
	}
}

// Root returns a copy of the tree, safe to read while the run goes on.
func (t *groupTree) Root() *Group {
	t.mu.Lock()
	defer t.mu.Unlock()
	return copyGroup(t.root)
}

func copyGroup(g *Group) *Group {
	c := &Group{Name: g.Name, Path: g.Path}
	for _, x := range g.Checks {
		cc := *x
		c.Checks = append(c.Checks, &cc)
	}
	for _, x := range g.Groups {
		c.Groups = append(c.Groups, copyGroup(x))
	}
	return c
}
