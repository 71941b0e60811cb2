// Package grid loads the image grid declared in matrices/*.yaml, validates it and expands it
// into cells, each with the build key that says whether its image must be built again.
package grid

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/imagegrid/imagegrid/internal/limits"
	"github.com/imagegrid/imagegrid/internal/record"
	"github.com/imagegrid/imagegrid/internal/yamldecode"
)

// Kind is the kind of a declaration file.
const Kind = "Grid"

// Open reads the declaration at path (one file, or every *.yaml and *.yml file directly in
// a folder), merges the files and expands them into cells. Every problem found is reported,
// each with its file:line:column. Paths in the cells are relative to the working directory.
func Open(path string) (*Cells, error) {
	files, err := declarationFiles(path)
	if err != nil {
		return nil, err
	}
	errs := &Errors{}
	var decls []*fileDecl
	for _, name := range files {
		data, err := limits.Grid.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read grid declaration: %w", err)
		}
		if d := parse(displayPath(name), data, errs); d != nil {
			decls = append(decls, d)
		}
	}
	return expand(decls, errs)
}

func declarationFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("grid declaration: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("grid declaration: %w", err)
	}
	var files []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.Type().IsRegular() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("grid declaration: no *.yaml or *.yml file in %s", path)
	}
	slices.Sort(files)
	return files, nil
}

// displayPath is path relative to the working directory when it lies below it, slash-separated.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return filepath.ToSlash(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(abs)
}

func parse(name string, data []byte, errs *Errors) *fileDecl {
	before := len(errs.List)
	root := yamldecode.Document(name, data, errs, "one grid declaration per file: put this document in a file of its own")
	if root == nil {
		if len(errs.List) == before {
			errs.Add(Pos{File: name, Line: 1, Col: 1}, "", "empty declaration: want a mapping with apiVersion: "+record.APIVersion+" and kind: "+Kind)
		}
		return nil
	}
	d := &fileDecl{}
	yamldecode.Decode(name, root, d, errs, nil)
	if d.At.File == "" { // not a mapping: already reported
		return nil
	}
	if d.APIVersion != record.APIVersion {
		errs.Add(d.Field("apiVersion"), "apiVersion", fmt.Sprintf("got %q, want %q", d.APIVersion, record.APIVersion))
	}
	if d.Kind != Kind {
		errs.Add(d.Field("kind"), "kind", fmt.Sprintf("got %q, want %q", d.Kind, Kind))
	}
	return d
}
