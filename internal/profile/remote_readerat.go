package profile

import (
	"context"
	"io"
	"sync"
)

// readAtBlock is the least a ranged request of objectReaderAt fetches: small reads (a Parquet
// page header, a footer length) are served from the blocks already fetched.
const readAtBlock = 1 << 20

// readAtBlocks bounds the blocks kept (memory: readAtBlocks × readAtBlock at most), so that
// reading the pages of several columns in turn does not refetch each one.
const readAtBlocks = 16

// objectReaderAt reads a remote object at any offset with ranged requests (HTTP Range, S3
// GetObject with Range), each pinned to the version the object had when it was opened, for
// formats that need random access (Parquet's footer and column chunks) without a download of
// the whole object. A request fetches at least readAtBlock bytes, and the last readAtBlocks
// blocks are kept, so that many small reads cost few requests. It is safe for concurrent use.
type objectReaderAt struct {
	store remoteStore
	info  objectInfo
	name  string

	mu sync.Mutex
	// ctx bounds the requests; io.ReaderAt has no context of its own.
	ctx    context.Context
	blocks []readBlock // oldest first
}

type readBlock struct {
	off  int64
	data []byte
}

// newObjectReaderAt returns a reader over the object store reads, whose size and version info
// holds (info.Size must be known).
func newObjectReaderAt(ctx context.Context, name string, store remoteStore, info objectInfo) *objectReaderAt {
	return &objectReaderAt{ctx: ctx, store: store, info: info, name: name}
}

// setContext makes ctx bound the requests from now on (a source sets each scan's context).
func (r *objectReaderAt) setContext(ctx context.Context) {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
}

// Size is the object's size in bytes.
func (r *objectReaderAt) Size() int64 { return r.info.Size }

// ReadAt reads len(p) bytes from off, or up to the end of the object with io.EOF. A request
// that fails or a body that ends early is an *Error naming the object.
func (r *objectReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &Error{Pos: Pos{File: r.name}, Msg: "negative offset", Hint: "this is a bug; please report it"}
	}
	if off >= r.info.Size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.info.Size-off)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.cached(p[:n], off) {
		if n >= readAtBlock {
			if err := r.fetch(p[:n], off); err != nil {
				return 0, err
			}
		} else {
			b := readBlock{off: off, data: make([]byte, min(readAtBlock, r.info.Size-off))}
			if err := r.fetch(b.data, off); err != nil {
				return 0, err
			}
			if len(r.blocks) == readAtBlocks {
				r.blocks = append(r.blocks[:0], r.blocks[1:]...)
			}
			r.blocks = append(r.blocks, b)
			copy(p[:n], b.data)
		}
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// cached copies the bytes at off into p from a kept block, when one holds them all.
func (r *objectReaderAt) cached(p []byte, off int64) bool {
	for _, b := range r.blocks {
		if off >= b.off && off+int64(len(p)) <= b.off+int64(len(b.data)) {
			copy(p, b.data[off-b.off:])
			return true
		}
	}
	return false
}

// fetch fills p with the bytes at off, in one ranged request.
func (r *objectReaderAt) fetch(p []byte, off int64) error {
	body, err := openBody(r.ctx, r.name, r.store, r.info, off, int64(len(p)))
	if err != nil {
		return err
	}
	defer func() { _ = body.Close() }()
	_, err = io.ReadFull(body, p) // checkedBody words every failure, an early end included
	return err
}
