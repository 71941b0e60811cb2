package ova

import (
	"errors"
	"hash"
	"io"
)

// fileChunk is how much of the file is read, and handed to the hasher, at a time; fileChunks
// of them are in flight at most (4 MiB, whatever the OVA's size).
const (
	fileChunk  = 1 << 20
	fileChunks = 4
)

// hashedFile reads a file front to back in large chunks and hashes each chunk on another
// goroutine while the caller consumes the same chunk: one pass over the file both feeds the
// tar walk (and the upload behind it) and computes the file's digest, the two overlapped on
// two cores. Nothing is copied for the hash; a chunk is refilled only once the hasher has
// handed it back and the caller has moved past it.
type hashedFile struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	chunk []byte // what the caller reads from
	off   int
	err   error // the file's, returned once chunk is consumed

	free   chan []byte // chunks the hasher is done with
	todo   chan []byte // chunks to hash; closed by sum
	hashed chan struct{}
	closed bool
}

func newHashedFile(r io.Reader, h hash.Hash) *hashedFile {
	f := &hashedFile{r: r, h: h, free: make(chan []byte, fileChunks), todo: make(chan []byte, fileChunks), hashed: make(chan struct{})}
	for range fileChunks {
		f.free <- make([]byte, fileChunk)
	}
	go func() {
		defer close(f.hashed)
		for c := range f.todo {
			f.h.Write(c)
			f.free <- c[:cap(c)]
		}
	}()
	return f
}

func (f *hashedFile) Read(p []byte) (int, error) {
	if f.off == len(f.chunk) {
		if f.err != nil {
			return 0, f.err
		}
		f.fill()
		if len(f.chunk) == 0 {
			return 0, f.err
		}
	}
	n := copy(p, f.chunk[f.off:])
	f.off += n
	return n, nil
}

// fill reads the next chunk and queues it for the hasher.
func (f *hashedFile) fill() {
	buf := <-f.free
	n, err := io.ReadFull(f.r, buf)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	f.chunk, f.off, f.err = buf[:n], 0, err
	f.n += int64(n)
	if n == 0 {
		f.free <- buf
		return
	}
	f.todo <- f.chunk
}

// sum waits for the hasher and returns the size and digest of everything read so far. It
// ends the hasher: call it once, after the last Read.
func (f *hashedFile) sum() (int64, []byte) {
	f.stop()
	return f.n, f.h.Sum(nil)
}

// stop ends the hasher goroutine; it is safe to call more than once.
func (f *hashedFile) stop() {
	if !f.closed {
		f.closed = true
		close(f.todo)
		<-f.hashed
	}
}
