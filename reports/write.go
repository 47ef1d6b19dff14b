package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Files Write puts in the output folder.
const (
	HTMLFile    = "index.html"
	JUnitFile   = "junit.xml"
	RecordsFile = "records.json"
)

// rawData is records.json: what the page was built from, as read.
type rawData struct {
	Ready    bool       `json:"ready"`
	Why      string     `json:"why"`
	Expected []Scenario `json:"expected"`
	Run      *Run       `json:"run"`
	Baseline string     `json:"baseline,omitempty"`
}

// LoadBaseline reads an earlier run to compare with: a results folder
// (as Load reads it), or a report's output folder holding records.json.
func LoadBaseline(dir string) (*Run, error) {
	b, err := os.ReadFile(filepath.Join(dir, RecordsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Load(dir)
	}
	if err != nil {
		return nil, err
	}
	var raw rawData
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, RecordsFile), err)
	}
	if raw.Run == nil {
		return nil, fmt.Errorf("%s holds no run", filepath.Join(dir, RecordsFile))
	}
	raw.Run.Dir = dir
	return raw.Run, nil
}

// Write renders rep into outDir (created if needed): index.html, junit.xml
// and records.json. Each file is written whole, then renamed into place.
func Write(rep *Report, outDir string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	var page, junit, raw bytes.Buffer
	if err := RenderHTML(&page, rep, outDir); err != nil {
		return err
	}
	if err := RenderJUnit(&junit, rep); err != nil {
		return err
	}
	enc := json.NewEncoder(&raw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rawData{Ready: rep.Ready, Why: rep.Why, Expected: rep.Expected, Run: rep.Run, Baseline: rep.Baseline}); err != nil {
		return err
	}
	for name, b := range map[string][]byte{HTMLFile: page.Bytes(), JUnitFile: junit.Bytes(), RecordsFile: raw.Bytes()} {
		if err := writeFile(filepath.Join(outDir, name), b); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
