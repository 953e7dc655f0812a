package profile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// maxParquetPage bounds one page of a Parquet file, compressed or not. Writers make pages of
// about 1 MiB (parquet-java, Arrow, Spark), and a value holds at most MaxValueBytes; a larger size in a page header means the file is
// damaged, and believing it would make the reader allocate that much memory.
const maxParquetPage = 64 << 20

// maxParquetFooter bounds the footer (the file metadata) of a Parquet file. Writers make
// footers of kilobytes to a few MiB (one entry per column chunk); a larger length in the last
// bytes of a file means it is damaged, and believing it would make the reader allocate and
// download that much (up to 4 GiB).
const maxParquetFooter = 256 << 20

// checkRowGroup reads the page headers of every column chunk of row group g before its pages
// are read, and refuses a chunk outside the file, a page larger than maxParquetPage or than
// what is left of its chunk, and a page holding more values than the row group has rows
// (every column of a flat file holds one value per row).
func (s *parquetSource) checkRowGroup(g int) error {
	rg := &s.file.Metadata().RowGroups[g]
	for j := range rg.Columns {
		m := &rg.Columns[j].MetaData
		start := m.DataPageOffset
		if m.DictionaryPageOffset != 0 {
			start = m.DictionaryPageOffset
		}
		end := start + m.TotalCompressedSize
		if start < 4 || m.TotalCompressedSize < 0 || end > s.size || end < start {
			return fmt.Errorf("the column chunk of column %d in row group %d lies outside the file", j+1, g+1)
		}
		if err := checkPages(s.r, start, end, rg.NumRows); err != nil {
			return fmt.Errorf("column %d in row group %d: %w", j+1, g+1, err)
		}
	}
	return nil
}

// checkPages walks the page headers of the column chunk held by bytes [start, end) of r.
func checkPages(r io.ReaderAt, start, end, rows int64) error {
	var proto thrift.CompactProtocol
	for pos := start; pos < end; {
		cr := &countingReader{r: bufio.NewReaderSize(io.NewSectionReader(r, pos, end-pos), 512)}
		var h format.PageHeader
		if err := thrift.NewDecoder(proto.NewReader(cr)).Decode(&h); err != nil {
			return fmt.Errorf("a page header at byte %d cannot be read: %w", pos, err)
		}
		left := end - pos - cr.n
		switch {
		case h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > left:
			return fmt.Errorf("the page at byte %d claims %d bytes, but its column chunk has %d left", pos, h.CompressedPageSize, left)
		case h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxParquetPage:
			return fmt.Errorf("the page at byte %d claims %d bytes uncompressed; pages hold at most %d MiB", pos, h.UncompressedPageSize, maxParquetPage>>20)
		case pageValues(&h) > rows:
			return fmt.Errorf("the page at byte %d claims %d values in a row group of %d rows", pos, pageValues(&h), rows)
		}
		pos += cr.n + int64(h.CompressedPageSize)
	}
	return nil
}

// pageValues is the number of values a page header claims.
func pageValues(h *format.PageHeader) int64 {
	switch {
	case h.DataPageHeader.Valid:
		return int64(h.DataPageHeader.V.NumValues)
	case h.DataPageHeaderV2.Valid:
		return int64(max(h.DataPageHeaderV2.V.NumValues, h.DataPageHeaderV2.V.NumRows))
	case h.DictionaryPageHeader.Valid:
		return int64(h.DictionaryPageHeader.V.NumValues)
	}
	return 0
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// checkFooter walks the Thrift compact encoding of a Parquet file's footer (its metadata)
// before the reader decodes it, and refuses a list, map or string that claims more elements or
// bytes than the footer holds, and nesting deeper than 64: a damaged length would otherwise make
// the decoder allocate up to gigabytes.
func checkFooter(r io.ReaderAt, size int64) error {
	var tail [8]byte
	if n, err := r.ReadAt(tail[:], size-8); n < len(tail) {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if string(tail[4:]) != "PAR1" {
		return nil // not a plain Parquet footer: the reader says what is wrong
	}
	if n > size-12 {
		return fmt.Errorf("the footer claims %d bytes in a file of %d", n, size)
	}
	if n > maxParquetFooter {
		return fmt.Errorf("the footer claims %d bytes; Parquet footers hold at most %d MiB", n, maxParquetFooter>>20)
	}
	b := make([]byte, n)
	if got, err := r.ReadAt(b, size-8-n); got < len(b) {
		return err
	}
	w := thriftWalker{b: b}
	if err := w.value(thriftStruct, 0); err != nil {
		return fmt.Errorf("the footer's metadata is damaged: %w", err)
	}
	return nil
}

// Thrift compact protocol types (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md).
const (
	thriftTrue   = 1
	thriftFalse  = 2
	thriftByte   = 3
	thriftI16    = 4
	thriftI32    = 5
	thriftI64    = 6
	thriftDouble = 7
	thriftBinary = 8
	thriftList   = 9
	thriftSet    = 10
	thriftMap    = 11
	thriftStruct = 12
	thriftUUID   = 13
)

var errThriftDamaged = errors.New("a length or count exceeds the bytes that follow")

// thriftWalker skips over Thrift compact-encoded values, checking their lengths and counts.
type thriftWalker struct {
	b   []byte
	pos int
}

func (w *thriftWalker) left() int { return len(w.b) - w.pos }

func (w *thriftWalker) byte() (byte, error) {
	if w.pos >= len(w.b) {
		return 0, io.ErrUnexpectedEOF
	}
	c := w.b[w.pos]
	w.pos++
	return c, nil
}

func (w *thriftWalker) varint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.pos:])
	if n <= 0 {
		return 0, errThriftDamaged
	}
	w.pos += n
	return v, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(w.left()) {
		return errThriftDamaged
	}
	w.pos += int(n)
	return nil
}

// value skips one value of type t at nesting depth d.
func (w *thriftWalker) value(t byte, d int) error {
	if d > 64 {
		return errors.New("the metadata is nested too deeply")
	}
	switch t {
	case thriftTrue, thriftFalse:
		return nil // the value is in the type
	case thriftByte:
		return w.skip(1)
	case thriftI16, thriftI32, thriftI64:
		_, err := w.varint()
		return err
	case thriftDouble:
		return w.skip(8)
	case thriftUUID:
		return w.skip(16)
	case thriftBinary:
		n, err := w.varint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case thriftList, thriftSet:
		return w.list(d)
	case thriftMap:
		return w.mapValue(d)
	case thriftStruct:
		return w.structValue(d)
	}
	return fmt.Errorf("unknown Thrift type %d", t)
}

func (w *thriftWalker) structValue(d int) error {
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 { // the field id follows as a zigzag varint
			if _, err := w.varint(); err != nil {
				return err
			}
		}
		if err := w.value(h&0x0f, d+1); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) list(d int) error {
	h, err := w.byte()
	if err != nil {
		return err
	}
	n := uint64(h >> 4)
	if n == 15 {
		if n, err = w.varint(); err != nil {
			return err
		}
	}
	if n > uint64(w.left()) { // every element takes at least a byte
		return errThriftDamaged
	}
	t := h & 0x0f
	if t == thriftTrue || t == thriftFalse { // booleans in lists take a byte each
		return w.skip(n)
	}
	for range n {
		if err := w.value(t, d+1); err != nil {
			return err
		}
	}
	return nil
}

func (w *thriftWalker) mapValue(d int) error {
	n, err := w.varint()
	if err != nil || n == 0 {
		return err
	}
	if 2*n > uint64(w.left()) {
		return errThriftDamaged
	}
	kv, err := w.byte()
	if err != nil {
		return err
	}
	for range n {
		if err := w.value(kv>>4, d+1); err != nil {
			return err
		}
		if err := w.value(kv&0x0f, d+1); err != nil {
			return err
		}
	}
	return nil
}
