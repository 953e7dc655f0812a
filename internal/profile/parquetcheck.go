package profile

import (
	"bufio"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// maxParquetPage bounds one page of a Parquet file, compressed or not. Writers make pages of
// about 1 MiB (parquet-java, Arrow, Spark), and a value holds at most MaxValueBytes; a larger size in a page header means the file is
// damaged, and believing it would make the reader allocate that much memory.
const maxParquetPage = 64 << 20

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
