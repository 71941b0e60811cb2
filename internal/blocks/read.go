package blocks

import (
	"fmt"
	"io"
)

// ReadAt reads p at off from a virtual disk of capacity bytes made of blocks of size bytes;
// block returns block idx, or nil for a block of zeros.
func ReadAt(p []byte, off, capacity, size int64, block func(idx int64) ([]byte, error)) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("negative offset %d", off)
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= capacity {
			return n, io.EOF
		}
		idx, within := pos/size, pos%size
		want := min(int64(len(p)-n), size-within, capacity-pos)
		data, err := block(idx)
		if err != nil {
			return n, err
		}
		if data == nil {
			clear(p[n : n+int(want)])
		} else {
			copy(p[n:n+int(want)], data[within:within+want])
		}
		n += int(want)
	}
	return n, nil
}
