package nodefs

import (
	"fmt"
	"io"
	"sort"
)

// run is contiguous file blocks: logical block → physical block, for blocks blocks.
type run struct {
	logical, physical, blocks int64
}

// blockFile reads a file through its block map; blocks no run covers are holes (zeros).
type blockFile struct {
	r         io.ReaderAt
	blockSize int64
	size      int64
	runs      []run // sorted by logical
}

func (f *blockFile) Size() int64 { return f.size }

func (f *blockFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("negative offset %d", off)
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= f.size {
			return n, io.EOF
		}
		block, within := pos/f.blockSize, pos%f.blockSize
		want := min(int64(len(p)-n), f.size-pos)
		i := sort.Search(len(f.runs), func(i int) bool { return f.runs[i].logical+f.runs[i].blocks > block })
		if i == len(f.runs) || f.runs[i].logical > block {
			// A hole up to the next run (or the end).
			end := f.size
			if i < len(f.runs) {
				end = min(end, f.runs[i].logical*f.blockSize)
			}
			want = min(want, end-pos)
			clear(p[n : n+int(want)])
			n += int(want)
			continue
		}
		r := f.runs[i]
		want = min(want, (r.logical+r.blocks)*f.blockSize-pos)
		phys := (r.physical+block-r.logical)*f.blockSize + within
		m, err := f.r.ReadAt(p[n:n+int(want)], phys)
		n += m
		if err != nil {
			return n, fmt.Errorf("read block %d at byte %d: %w", r.physical+block-r.logical, phys, err)
		}
	}
	return n, nil
}
