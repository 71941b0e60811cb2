package ova

import (
	"errors"
	"hash"
	"io"
	"sync/atomic"
)

// fileChunk is how much of the file is read, and handed to the hashers, at a time; fileChunks
// of them are in flight at most (4 MiB, whatever the OVA's size).
const (
	fileChunk  = 1 << 20
	fileChunks = 4
)

// chunk is one buffer of the file, buf sliced to the bytes read into it. refs counts who still uses its bytes (the caller reading
// it, the file hasher, the member hasher); the last to let go hands it back for refilling.
type chunk struct {
	buf  []byte
	refs atomic.Int32
}

// memberPart is a slice of a chunk for the member hasher, or, with done set, a mark closed
// once everything queued before it is hashed.
type memberPart struct {
	c    *chunk
	b    []byte
	h    hash.Hash
	done chan struct{}
}

// hashedFile reads a file front to back in large chunks and hands each chunk, as it is read,
// to two hashers on their own goroutines: one hashes the whole file, the other the bytes of
// the member being walked (tap), so that both SHA-256 run side by side from the first byte,
// off the goroutine that reads. Both read the same immutable chunk, which the caller also
// reads from (or skips over with Seek, which archive/tar uses to pass over member data):
// nothing is copied for either hash, and a chunk is refilled only once the caller and both
// hashers are done with it.
type hashedFile struct {
	r    io.Reader
	h    hash.Hash
	n    int64 // bytes read from r
	cur  *chunk
	data []byte // cur's bytes, what the caller reads from
	off  int
	err  error // the file's, returned once data is consumed

	// tapH hashes the next tapLeft bytes after those already queued for it.
	tapH    hash.Hash
	tapLeft int64

	free   chan *chunk
	todo   chan *chunk     // to the file hasher; closed by stop
	parts  chan memberPart // to the member hasher; closed by stop
	hashed chan struct{}   // closed when both hashers have ended
	closed bool
}

func newHashedFile(r io.Reader, h hash.Hash) *hashedFile {
	f := &hashedFile{r: r, h: h, free: make(chan *chunk, fileChunks), todo: make(chan *chunk, fileChunks),
		parts: make(chan memberPart, fileChunks+1), hashed: make(chan struct{})}
	for range fileChunks {
		f.free <- &chunk{buf: make([]byte, fileChunk)}
	}
	memberDone := make(chan struct{})
	go func() {
		defer close(memberDone)
		for p := range f.parts {
			if p.done != nil {
				close(p.done)
				continue
			}
			p.h.Write(p.b)
			f.release(p.c)
		}
	}()
	go func() {
		defer close(f.hashed)
		for c := range f.todo {
			f.h.Write(c.buf)
			f.release(c)
		}
		<-memberDone
	}()
	return f
}

func (f *hashedFile) release(c *chunk) {
	if c.refs.Add(-1) == 0 {
		c.buf = c.buf[:cap(c.buf)]
		f.free <- c
	}
}

func (f *hashedFile) Read(p []byte) (int, error) {
	if f.off == len(f.data) {
		if f.err != nil {
			return 0, f.err
		}
		f.fill()
		if len(f.data) == 0 {
			return 0, f.err
		}
	}
	n := copy(p, f.data[f.off:])
	f.off += n
	return n, nil
}

// Seek moves forward from the current position (whence io.SeekCurrent, offset ≥ 0) without
// copying what it passes over, which the hashers still see; it stops at the end of the file
// and returns the position reached. archive/tar calls it to skip member data.
func (f *hashedFile) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return f.pos(), errors.New("seek: only forward from the current position")
	}
	for offset > 0 {
		if f.off == len(f.data) {
			if f.err != nil {
				break
			}
			f.fill()
			if len(f.data) == 0 {
				break
			}
		}
		k := int(min(offset, int64(len(f.data)-f.off)))
		f.off += k
		offset -= int64(k)
	}
	return f.pos(), nil
}

// pos is the caller's position in the file.
func (f *hashedFile) pos() int64 { return f.n - int64(len(f.data)-f.off) }

// fill lets go of the chunk the caller is done with, reads the next one and queues it for
// the hashers.
func (f *hashedFile) fill() {
	if f.cur != nil {
		f.release(f.cur)
		f.cur, f.data, f.off = nil, nil, 0
	}
	c := <-f.free
	n, err := io.ReadFull(f.r, c.buf)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	f.err = err
	f.n += int64(n)
	if n == 0 {
		f.free <- c
		return
	}
	c.buf = c.buf[:n]
	c.refs.Store(2) // the caller and the file hasher
	f.cur, f.data, f.off = c, c.buf, 0
	f.todo <- c
	f.feedTap()
}

// tap hashes the next size bytes after the caller's position into h, on the member hasher;
// tapSum waits for them. The previous tap must be complete (the caller past its bytes).
func (f *hashedFile) tap(h hash.Hash, size int64) bool {
	f.tapH, f.tapLeft = h, size
	f.feedTap()
	return true
}

// feedTap queues for the member hasher the part of the current chunk, from the caller's
// position, that belongs to the tap.
func (f *hashedFile) feedTap() {
	k := int(min(f.tapLeft, int64(len(f.data)-f.off)))
	if k == 0 {
		return
	}
	f.cur.refs.Add(1)
	f.parts <- memberPart{c: f.cur, b: f.data[f.off : f.off+k], h: f.tapH}
	f.tapLeft -= int64(k)
}

// tapSum waits until every byte of the tap read so far is hashed.
func (f *hashedFile) tapSum() {
	done := make(chan struct{})
	f.parts <- memberPart{done: done}
	<-done
}

// sum waits for the hashers and returns the size and digest of everything read so far. It
// ends the hashers: call it once, after the last Read.
func (f *hashedFile) sum() (int64, []byte) {
	f.stop()
	return f.n, f.h.Sum(nil)
}

// stop ends the hasher goroutines; it is safe to call more than once.
func (f *hashedFile) stop() {
	if !f.closed {
		f.closed = true
		close(f.todo)
		close(f.parts)
		<-f.hashed
	}
}
