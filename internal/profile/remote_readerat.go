package profile

import (
	"context"
	"io"
)

// objectReaderAt reads a remote object at any offset with ranged requests (HTTP Range, S3
// GetObject with Range), each pinned to the version the object had when it was opened, for
// formats that need random access (Parquet's footer and column chunks) without a download of
// the whole object. Each ReadAt is one request: callers read in large blocks.
type objectReaderAt struct {
	// ctx bounds every request; io.ReaderAt has no context of its own.
	ctx   context.Context
	store remoteStore
	info  objectInfo
	name  string
}

// newObjectReaderAt returns a reader over the object store reads, whose size and version info
// holds (info.Size must be known).
func newObjectReaderAt(ctx context.Context, name string, store remoteStore, info objectInfo) *objectReaderAt {
	return &objectReaderAt{ctx: ctx, store: store, info: info, name: name}
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
	if n == 0 {
		return 0, nil
	}
	body, err := r.store.get(r.ctx, r.info, off, n)
	if err != nil {
		return 0, err
	}
	defer func() { _ = body.Close() }()
	got, err := io.ReadFull(&checkedBody{rc: body, name: r.name, want: n}, p[:n])
	if err != nil {
		if _, ok := err.(*Error); !ok {
			err = (&checkedBody{name: r.name}).cut("a range ended early: " + errText(err))
		}
		return got, err
	}
	if n < int64(len(p)) {
		return got, io.EOF
	}
	return got, nil
}
