package blocks

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestReadAt(t *testing.T) {
	t.Parallel()
	// Blocks of 4 bytes; block 1 is zeros (nil); the disk ends inside block 2.
	stored := map[int64][]byte{0: []byte("abcd"), 2: []byte("ijkl")}
	block := func(idx int64) ([]byte, error) {
		if idx > 2 {
			return nil, errors.New("read past the end")
		}
		return stored[idx], nil
	}
	for _, tc := range []struct {
		off, n int64
		want   string
		eof    bool
	}{
		{0, 4, "abcd", false},
		{2, 6, "cd\x00\x00\x00\x00", false},
		{3, 8, "d\x00\x00\x00\x00ij", true}, // capacity 10
		{10, 1, "", true},
	} {
		p := make([]byte, tc.n)
		n, err := ReadAt(p, tc.off, 10, 4, block)
		if string(p[:n]) != tc.want || errors.Is(err, io.EOF) != tc.eof {
			t.Errorf("ReadAt(%d bytes at %d) = %q, %v; want %q (EOF %v)", tc.n, tc.off, p[:n], err, tc.want, tc.eof)
		}
	}
	if _, err := ReadAt(make([]byte, 1), -1, 10, 4, block); err == nil {
		t.Error("no error for a negative offset")
	}
}

func TestCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := New(2)
	c.Put(1, []byte("one"))
	c.Put(2, []byte("two"))
	c.Get(1) // 2 is now the least recently used
	c.Put(3, []byte("three"))
	if _, ok := c.Get(2); ok {
		t.Error("block 2 was not evicted")
	}
	for _, k := range []int64{1, 3} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("block %d was evicted", k)
		}
	}
	c.Put(3, []byte("THREE"))
	if got, _ := c.Get(3); !bytes.Equal(got, []byte("THREE")) {
		t.Errorf("block 3 = %q after replacing it", got)
	}
}
