package main

import (
	"context"
	"io"
	"testing"
)

// BenchmarkMatrix10k expands a 10,200-cell declaration (1,700 releases × 6 OS) with 200 var
// files and emits the cells as JSON: the whole of matrix but for writing GitHub outputs, which
// GitHub's 1 MB output limit would refuse at this size.
func BenchmarkMatrix10k(b *testing.B) {
	dir := b.TempDir()
	writeGrid(b, dir, 1700, 200)
	args := []string{"--matrices", dir, "--format", "json", "--max-shards", "40"}
	b.ReportAllocs()
	for b.Loop() {
		if err := run(context.Background(), args, io.Discard, io.Discard, env{}.get); err != nil {
			b.Fatal(err)
		}
	}
}
