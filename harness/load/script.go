package load

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// Script is a test script and the local modules and files it reads: compiled once and
// shared by every VU (a goja Program is immutable and may run in many runtimes).
type Script struct {
	// Path is the script's file name as given; errors and stack traces use it.
	Path string
	dir  string

	mu       sync.Mutex
	programs map[string]*goja.Program // by path as written in messages
	files    map[string][]byte        // open() reads, by absolute path
}

// ScriptError is an error in the script itself: a syntax error, an exception in the init
// context, setup or teardown. Its message names file:line:column.
type ScriptError struct {
	Msg string
}

func (e *ScriptError) Error() string { return e.Msg }

// LoadScript reads and compiles the script at path.
func LoadScript(path string) (*Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return NewScript(path, src)
}

// NewScript compiles src as the script named path; local imports and open() resolve
// relative to path's directory.
func NewScript(path string, src []byte) (*Script, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	s := &Script{Path: path, dir: filepath.Dir(abs), programs: map[string]*goja.Program{}, files: map[string][]byte{}}
	if _, err := s.compile(path, string(src)); err != nil {
		return nil, err
	}
	return s, nil
}

// compile transforms and compiles one module, once.
func (s *Script) compile(name, src string) (*goja.Program, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.programs[name]; ok {
		return p, nil
	}
	code, err := transformModule(name, src)
	if err != nil {
		return nil, &ScriptError{Msg: "SyntaxError: " + err.Error()}
	}
	ast, err := parser.ParseFile(nil, name, code, 0)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			pos := list[0].Position
			return nil, &ScriptError{Msg: fmt.Sprintf("%s:%d:%d: SyntaxError: %s", pos.Filename, pos.Line, pos.Column, list[0].Message)}
		}
		return nil, &ScriptError{Msg: "SyntaxError: " + err.Error()}
	}
	p, err := goja.CompileAST(ast, true)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) && se.File != nil {
			pos := se.File.Position(se.Offset)
			return nil, &ScriptError{Msg: fmt.Sprintf("%s:%d:%d: SyntaxError: %s", pos.Filename, pos.Line, pos.Column, se.Message)}
		}
		return nil, &ScriptError{Msg: err.Error()}
	}
	s.programs[name] = p
	return p, nil
}

// localModule returns the compiled module a relative import names, reading it on first
// use. from is the importing module's name.
func (s *Script) localModule(from, spec string) (string, *goja.Program, error) {
	name := filepath.Join(filepath.Dir(from), spec)
	s.mu.Lock()
	p, ok := s.programs[name]
	s.mu.Unlock()
	if ok {
		return name, p, nil
	}
	src, err := os.ReadFile(name)
	if err != nil {
		return "", nil, fmt.Errorf("import %q: %w", spec, err)
	}
	p, err = s.compile(name, string(src))
	return name, p, err
}

// readFile returns a file's contents for open(); paths are relative to the script.
func (s *Script) readFile(path string) ([]byte, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.dir, path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.files[path]; ok {
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s.files[path] = b
	return b, nil
}

// jsError turns an error from goja into a message that leads with the script position
// it came from (file:line:column), as k6 prints exceptions.
func jsError(err error) string {
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return err.Error()
	}
	msg := "<nil>"
	if v := ex.Value(); v != nil {
		msg = v.String()
		if o, ok := v.(*goja.Object); ok {
			if st := o.Get("stack"); st != nil && !goja.IsUndefined(st) && strings.HasPrefix(st.String(), msg) {
				msg = strings.TrimSpace(strings.SplitN(st.String(), "\n", 2)[0])
			}
		}
	}
	for _, f := range ex.Stack() {
		if pos := f.Position(); pos.Line > 0 && pos.Filename != "" {
			where := fmt.Sprintf("%s:%d:%d", pos.Filename, pos.Line, pos.Column)
			if fn := f.FuncName(); fn != "" {
				where += " (" + fn + ")"
			}
			return where + ": " + msg
		}
	}
	return msg
}
