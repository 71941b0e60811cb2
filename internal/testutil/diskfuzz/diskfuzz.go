// Package diskfuzz fuzzes the readers of virtual disk images (qcow2, VMDK) the same way: a
// corrupt image is an error, never a panic, a hang or a huge allocation.
package diskfuzz

import (
	"bytes"
	"io"
	"testing"
)

// A Disk is an opened virtual disk, read at offsets of its virtual size.
type Disk interface {
	io.ReaderAt
	Size() int64
}

// Open fuzzes open over f's seed corpus: each input is opened, and a disk that opens is read
// at its start, its middle and near its end.
func Open[D Disk](f *testing.F, open func(r io.ReaderAt, size int64) (D, error)) {
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		buf := make([]byte, 1<<20)
		for _, off := range []int64{0, d.Size() / 2, d.Size() - 100} {
			d.ReadAt(buf, off)
		}
	})
}
