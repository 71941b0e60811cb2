package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/imagegrid/imagegrid/internal/changeset"
	"github.com/imagegrid/imagegrid/internal/limits"
)

// Versioned is implemented by every format of this package: it names its apiVersion and kind.
type Versioned interface {
	header() (apiVersion, kind string)
}

func (c Cell) header() (string, string)            { return c.APIVersion, c.Kind }
func (r BuildRecord) header() (string, string)     { return r.APIVersion, r.Kind }
func (r PublishRecord) header() (string, string)   { return r.APIVersion, r.Kind }
func (l PublishedImages) header() (string, string) { return l.APIVersion, l.Kind }

// Decode decodes one JSON document of the given kind strictly: unknown fields, trailing data,
// a wrong apiVersion or kind are errors. name (a file name, or "stdin") prefixes every error.
func Decode[T Versioned](name string, data []byte, kind string) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("%s: %w", name, explain(data, err))
	}
	if dec.More() {
		return v, fmt.Errorf("%s:%s: unexpected data after the %s object", name, position(data, dec.InputOffset()), kind)
	}
	apiVersion, gotKind := v.header()
	if apiVersion != APIVersion {
		return v, fmt.Errorf("%s: apiVersion %q is not supported; want %q", name, apiVersion, APIVersion)
	}
	if gotKind != kind {
		return v, fmt.Errorf("%s: kind %q; want %q", name, gotKind, kind)
	}
	if k, ok := any(v).(keyed); ok {
		if err := checkKey(k); err != nil {
			return v, fmt.Errorf("%s: %w", name, err)
		}
	}
	return v, nil
}

// keyed is a record made for one cell: its buildKey field is a copy of the cell's key, kept
// in the format for readers that look at the record alone.
type keyed interface {
	keys() (copied, cell string)
}

func (r BuildRecord) keys() (string, string)   { return r.BuildKey, r.Cell.BuildKey }
func (r PublishRecord) keys() (string, string) { return r.BuildKey, r.Cell.BuildKey }

// checkKey refuses a record whose buildKey is not its cell's: one would name the image and
// the other find it.
func checkKey(r keyed) error {
	if copied, cell := r.keys(); copied != cell {
		return fmt.Errorf("buildKey %s differs from cell.buildKey %s: a record carries its cell's key; build the cell again", copied, cell)
	}
	return nil
}

// PeekKind returns the kind of the JSON document data ("" for JSON that is not an object with
// a string kind). Data that is not JSON at all, or is truncated, is an error naming name and
// where.
func PeekKind(name string, data []byte) (string, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", name, explain(data, err))
	}
	obj, _ := doc.(map[string]any)
	kind, _ := obj["kind"].(string)
	return kind, nil
}

// ReadFile reads and decodes one file of the given kind ("-" reads standard input), within
// the size limit of its kind (limits.Record, limits.Ledger for the ledger).
func ReadFile[T Versioned](path, kind string) (T, error) {
	var zero T
	var data []byte
	var err error
	name := path
	limit := limits.Record
	if kind == KindPublishedImages {
		limit = limits.Ledger
	}
	if path == "-" {
		name = "stdin"
		data, err = limit.Read(os.Stdin, name)
	} else {
		data, err = limit.ReadFile(path)
	}
	if err != nil {
		return zero, fmt.Errorf("read %s: %w", kind, err)
	}
	return Decode[T](name, data, kind)
}

// WriteFile writes v as indented JSON to path atomically, with changeset's writer: a
// temporary file in the same directory, synced, then renamed over path (mode 0644).
// Parent directories are created.
func WriteFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return changeset.WriteDir(dir, []changeset.Change{{Path: filepath.Base(path), Data: append(data, '\n'), Mode: 0o644}})
}

// explain turns encoding/json errors into ones that say where and what.
func explain(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax) && syntax.Offset >= int64(len(data)):
		return fmt.Errorf("%s: empty or truncated JSON: %v", position(data, int64(len(data))), strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &syntax):
		// Offset counts the bytes read, the offending one included.
		return fmt.Errorf("%s: invalid JSON: %v", position(data, max(syntax.Offset-1, 0)), strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typeErr):
		return fmt.Errorf("%s: field %q: got JSON %s, want %s", position(data, valueStart(data, typeErr.Offset)), typeErr.Field, typeErr.Value, typeErr.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("unknown field %s (fields are listed in docs/formats.md)", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("empty or truncated JSON: %w", err)
	}
	return err
}

// valueStart backs up from the end of a JSON scalar (where encoding/json reports type errors)
// to its first byte.
func valueStart(data []byte, end int64) int64 {
	i := min(end, int64(len(data)))
	if i > 0 && data[i-1] == '"' {
		for i--; i > 0; i-- {
			if data[i-1] == '"' && (i < 2 || data[i-2] != '\\') {
				return i - 1
			}
		}
		return 0
	}
	for i > 0 && !strings.ContainsRune(":,[{ \t\r\n", rune(data[i-1])) {
		i--
	}
	return i
}

// position converts a byte offset into "line:column" (both from 1).
func position(data []byte, offset int64) string {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%d:%d", line, col)
}
