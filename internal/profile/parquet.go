package profile

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

// Parquet files: the columns and their types come from the file's schema; the rows are read
// one row group at a time, page by page, so memory depends on the width of the file and the
// size of its pages, not on its number of rows. Positions are row numbers (from 1, across row
// groups). Every top-level field must be a column of scalar values, optional or required:
// a nested (group: struct, list, map) or repeated field is an error that names it.
//
// Types, from the logical type (or the legacy converted type) and else the physical type:
//
//	BOOLEAN                                     bool
//	INT32, INT64, INT(8..64, signed or not)     int (an unsigned 64-bit value over 2^63-1 is an invalid value)
//	FLOAT, DOUBLE, FLOAT16, DECIMAL             double
//	DATE                                        timestamp (midnight UTC)
//	TIMESTAMP (millis, micros, nanos), INT96    timestamp (UTC; a timestamp not adjusted to UTC is taken as UTC)
//	STRING, ENUM, JSON, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY
//	                                            string (bytes must be valid UTF-8, else an invalid value)
//	UUID                                        string (8-4-4-4-12 hex digits)
//	TIME                                        string (HH:MM:SS with fractions)
//	NULL (a column of nulls only)               string
//
// Other logical types (BSON, VARIANT, GEOMETRY, GEOGRAPHY) are errors naming the column. A
// value that does not fit (bytes that are not UTF-8 in a string column) is an invalid value
// of its row (see Row.Invalid), as in the other file sources.

// parquetReadBuffer is the size of the buffered reads of each column chunk: a few large reads
// rather than many small ones, which also suits ranged reads of remote objects.
const parquetReadBuffer = 256 << 10

// parquetBatch is the number of rows read from a row group at a time.
const parquetBatch = 256

// parquetSource is an open Parquet file.
type parquetSource struct {
	name  string
	r     io.ReaderAt
	size  int64
	file  *parquet.File
	cols  []Column
	convs []parquetConv
	close func() error // releases what the source holds, or nil
}

// parquetConv turns a non-null value of a column into a value of the column's type. The error,
// if any, lacks Pos and Column.
type parquetConv func(v parquet.Value, in *interner, col int) (any, *Error)

// openParquetFile opens a local Parquet file, decompressing a .gz or .zst one into a private
// temporary file first (Parquet needs random access).
func openParquetFile(ctx context.Context, path string) (Source, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	size, release := st.Size(), f.Close
	if compressionOf(path) != "" {
		tmp, n, err := inflateToTemp(ctx, path, f, size)
		if err != nil {
			return nil, err
		}
		f, size, release = tmp.File, n, tmp.Close
	}
	src, err := openParquet(ctx, path, f, size)
	if err != nil {
		_ = release()
		return nil, err
	}
	src.close = release
	return src, nil
}

// inflateToTemp decompresses the file f (named path, of size bytes) into a private temporary
// file and closes f.
func inflateToTemp(ctx context.Context, path string, f *os.File, size int64) (spooledFile, int64, error) {
	r, closeFn, err := decompress(path, f)
	if err != nil {
		_ = f.Close()
		return spooledFile{}, 0, err
	}
	defer func() { _ = closeFn() }()
	return spoolToTemp(ctx, path, r, size)
}

// maxInflateRatio bounds how many times its compressed size a compressed Parquet file may grow
// in its temporary file. Parquet compresses its pages itself, so gzip or Zstandard over it
// gains a few times at most; a decompression bomb gains a thousandfold and would fill the
// temporary directory.
const maxInflateRatio = 100

// inflateLimit is the most a compressed Parquet file of compressed bytes may decompress to
// (no limit when its size is unknown, compressed < 0).
func inflateLimit(compressed int64) int64 {
	if compressed < 0 || compressed > (math.MaxInt64-(64<<20))/maxInflateRatio {
		return math.MaxInt64 - 1
	}
	return compressed*maxInflateRatio + 64<<20
}

// spooledFile is a private temporary copy of a decompressed Parquet file; Close removes it.
type spooledFile struct{ *os.File }

func (f spooledFile) Close() error {
	err := f.File.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}

// spoolToTemp copies r, the decompressed stream of the compressed Parquet file name (compressed
// bytes long, or -1 if unknown), into a new temporary file readable by its owner only, and
// returns it open with its size. On failure nothing is left behind.
func spoolToTemp(ctx context.Context, name string, r io.Reader, compressed int64) (spooledFile, int64, error) {
	const hint = "a compressed Parquet file is decompressed into the temporary directory (TMPDIR) first: make it writable and large enough, or store the file uncompressed (Parquet compresses its pages itself)"
	f, err := os.CreateTemp("", "sendgridaudience-*.parquet")
	if err != nil {
		return spooledFile{}, 0, &Error{Pos: Pos{File: name}, Err: err, Msg: "cannot create a temporary file to decompress the Parquet file into: " + errText(err), Hint: hint}
	}
	tmp := spooledFile{f}
	limit := inflateLimit(compressed)
	n, err := io.Copy(tmp.File, io.LimitReader(ctxReader{ctx: ctx, r: r}, limit+1))
	if err == nil && n > limit {
		err = &Error{Pos: Pos{File: name}, Msg: fmt.Sprintf("the file decompresses to more than %d times its compressed size, which no real Parquet file does: it is damaged or a decompression bomb", maxInflateRatio),
			Hint: "check the file that was exported, or store it uncompressed (Parquet compresses its pages itself)"}
	}
	if err != nil {
		_ = tmp.Close()
		if ctx.Err() != nil {
			return spooledFile{}, 0, ctx.Err()
		}
		var de *decompressError
		if errors.As(err, &de) {
			return spooledFile{}, 0, de.at(Pos{File: name})
		}
		var se *Error
		if errors.As(err, &se) {
			return spooledFile{}, 0, se
		}
		return spooledFile{}, 0, &Error{Pos: Pos{File: name}, Err: err, Msg: "decompressing the Parquet file into a temporary file failed: " + errText(err), Hint: hint}
	}
	return tmp, n, nil
}

// ctxReader stops reading when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// openParquet opens the Parquet file held by r (size bytes), named name in positions and
// messages. It reads the file's footer and schema; Scan reads the row groups through r, which
// must stay readable until the source is closed. If r is an io.Closer, Close closes it; when
// openParquet fails, r is left open for the caller to close.
func openParquet(ctx context.Context, name string, r io.ReaderAt, size int64) (src *parquetSource, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, damagedParquet(Pos{File: name}, fmt.Errorf("%v", p))
		}
	}()
	if size < 12 {
		return nil, notParquet(name, errors.New("the file is too short"))
	}
	if err := checkFooter(r, size); err != nil {
		return nil, notParquet(name, err)
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(parquetReadBuffer))
	if err != nil {
		return nil, notParquet(name, err)
	}
	fields := f.Schema().Fields()
	if len(fields) > MaxColumns {
		return nil, tooManyColumns(Pos{File: name}, len(fields))
	}
	if len(fields) == 0 {
		return nil, &Error{Pos: Pos{File: name}, Msg: "the Parquet file has no columns", Hint: "write the profiles with at least an email column"}
	}
	s := &parquetSource{name: name, r: r, size: size, file: f, cols: make([]Column, len(fields)), convs: make([]parquetConv, len(fields))}
	for i, fd := range fields {
		t, conv, cerr := parquetColumn(fd)
		if cerr != nil {
			cerr.Pos, cerr.Column = Pos{File: name}, fd.Name()
			return nil, cerr
		}
		if !utf8.ValidString(fd.Name()) || fd.Name() == "" {
			return nil, &Error{Pos: Pos{File: name}, Msg: fmt.Sprintf("the name of column %d is empty or not valid UTF-8", i+1), Hint: "name every column in UTF-8 when writing the file"}
		}
		s.cols[i], s.convs[i] = Column{Name: fd.Name(), Type: t}, conv
	}
	if c, ok := r.(io.Closer); ok {
		s.close = c.Close
	}
	return s, nil
}

// sourceError is the error of the reader under the Parquet file (a remote object's request
// that failed, a connection cut), which already names the object and says what to do: the file
// itself may be fine, so it is not reported as "not Parquet" or "damaged".
func sourceError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

func notParquet(name string, err error) *Error {
	if pe := sourceError(err); pe != nil {
		return pe
	}
	return &Error{Pos: Pos{File: name}, Err: err,
		Msg:  "the file is not a readable Parquet file (" + privacy.Scrub(errText(err), "") + ")",
		Hint: "check that the file is complete (a Parquet file ends with its footer, so a truncated copy cannot be read) and was written as Parquet"}
}

func damagedParquet(pos Pos, err error) *Error {
	if pe := sourceError(err); pe != nil {
		return pe
	}
	return &Error{Pos: pos, Err: err,
		Msg:  "the Parquet file is damaged (" + privacy.Scrub(errText(err), "") + "); no profile of the file is used",
		Hint: "write or copy the file again; check it with a Parquet tool (for example: parquet-tools inspect FILE)"}
}

func (s *parquetSource) Kind() Kind        { return KindParquet }
func (s *parquetSource) Columns() []Column { return s.cols }

// Close releases the file (and removes a decompressed temporary copy). It is safe to call twice.
func (s *parquetSource) Close() error {
	c := s.close
	s.close = nil
	if c == nil {
		return nil
	}
	return c()
}

// Scan reads the row groups in order, a batch of rows at a time.
func (s *parquetSource) Scan(ctx context.Context, fn func(*Row) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	row := &Row{Values: make([]any, len(s.cols))}
	row.Pos.File = s.name
	defer func() {
		if p := recover(); p != nil {
			err = damagedParquet(Pos{File: s.name, Row: row.Pos.Row + 1}, fmt.Errorf("%v", p))
		}
	}()
	intern := newInterner(len(s.cols))
	buf := make([]parquet.Row, parquetBatch)
	for g, rg := range s.file.RowGroups() {
		if err := s.checkRowGroup(g); err != nil {
			return damagedParquet(Pos{File: s.name, Row: row.Pos.Row + 1}, err)
		}
		rows := rg.Rows()
		err := s.scanRowGroup(ctx, rows, buf, row, intern, fn)
		_ = rows.Close()
		if err == ErrStop {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scanRowGroup calls fn for each row of one row group.
func (s *parquetSource) scanRowGroup(ctx context.Context, rows parquet.Rows, buf []parquet.Row, row *Row, intern *interner, fn func(*Row) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := rows.ReadRows(buf)
		for _, values := range buf[:n] {
			row.Pos.Row++
			if cerr := s.convertRow(values, row, intern); cerr != nil {
				return cerr
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return damagedParquet(Pos{File: s.name, Row: row.Pos.Row + 1}, err)
		}
	}
}

// convertRow fills row from the values of one Parquet row.
func (s *parquetSource) convertRow(values parquet.Row, row *Row, intern *interner) *Error {
	clear(row.Values)
	row.Invalid = row.Invalid[:0]
	for _, v := range values {
		i := v.Column()
		if i < 0 || i >= len(s.cols) {
			return damagedParquet(row.Pos, fmt.Errorf("a value of column %d, but the schema has %d columns", i+1, len(s.cols)))
		}
		if v.IsNull() {
			continue
		}
		x, err := s.convs[i](v, intern, i)
		if err != nil {
			row.addInvalid(i, s.cols[i].Name, 0, parquetRaw(v), err)
			continue
		}
		row.Values[i] = x
	}
	return nil
}

// parquetRaw is the text of a value, for masking in Row.Invalid.
func parquetRaw(v parquet.Value) []byte {
	switch v.Kind() {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return v.ByteArray()
	}
	return []byte(v.String())
}

// parquetColumn returns the type of a top-level field and the conversion of its values. The
// error, if any, lacks Pos and Column.
func parquetColumn(fd parquet.Field) (Type, parquetConv, *Error) {
	switch {
	case !fd.Leaf():
		return "", nil, &Error{Msg: "the column is nested (a group: a struct, list or map); profile values must be scalars",
			Hint: "flatten it when writing the file: one scalar column per value (for example address_city), and lists joined into a string"}
	case fd.Repeated():
		return "", nil, &Error{Msg: "the column is repeated (a list of values); profile values must be scalars",
			Hint: "write one value per row, for example the list joined into a string"}
	}
	t := fd.Type()
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		return parquetLogical(t, lt.Value)
	}
	if ct := t.ConvertedType(); ct != nil {
		if typ, conv, ok := parquetConverted(*ct); ok {
			return typ, conv, nil
		}
	}
	return parquetPhysical(t)
}

// parquetLogical maps a logical type annotation.
func parquetLogical(t parquet.Type, lt format.LogicalTypeValue) (Type, parquetConv, *Error) {
	switch l := lt.(type) {
	case *format.StringType, *format.EnumType, *format.JsonType, *format.NullType:
		return TypeString, parquetString, nil
	case *format.UUIDType:
		return TypeString, parquetUUID, nil
	case *format.DateType:
		return TypeTimestamp, parquetDate, nil
	case *format.TimestampType:
		return TypeTimestamp, parquetTimestamp(unitNanos(&l.Unit)), nil
	case *format.TimeType:
		return TypeString, parquetTime(unitNanos(&l.Unit)), nil
	case *format.IntType:
		if l.BitWidth == 64 && !l.IsSigned {
			return TypeInt, parquetUint64, nil
		}
		if !l.IsSigned {
			return TypeInt, parquetUint32, nil
		}
		return TypeInt, parquetInt, nil
	case *format.DecimalType:
		return TypeDouble, parquetDecimal(int(l.Scale)), nil
	case *format.Float16Type:
		return TypeDouble, parquetFloat16, nil
	}
	if t.Kind() == parquet.Boolean {
		return parquetPhysical(t)
	}
	return "", nil, &Error{Msg: "the column's Parquet type " + lt.String() + " cannot be read as a profile value",
		Hint: "convert it to a string or number column when writing the file, or leave it out"}
}

// parquetConverted maps a legacy converted type, if it is one with a clear meaning.
func parquetConverted(ct deprecated.ConvertedType) (Type, parquetConv, bool) {
	switch ct {
	case deprecated.UTF8, deprecated.Enum, deprecated.Json:
		return TypeString, parquetString, true
	case deprecated.Date:
		return TypeTimestamp, parquetDate, true
	case deprecated.TimestampMillis:
		return TypeTimestamp, parquetTimestamp(int64(time.Millisecond)), true
	case deprecated.TimestampMicros:
		return TypeTimestamp, parquetTimestamp(int64(time.Microsecond)), true
	case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32:
		return TypeInt, parquetUint32, true
	case deprecated.Uint64:
		return TypeInt, parquetUint64, true
	case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64:
		return TypeInt, parquetInt, true
	}
	return "", nil, false
}

// parquetPhysical maps a physical type without annotation.
func parquetPhysical(t parquet.Type) (Type, parquetConv, *Error) {
	switch t.Kind() {
	case parquet.Boolean:
		return TypeBool, func(v parquet.Value, _ *interner, _ int) (any, *Error) { return v.Boolean(), nil }, nil
	case parquet.Int32, parquet.Int64:
		return TypeInt, parquetInt, nil
	case parquet.Int96:
		return TypeTimestamp, parquetInt96, nil
	case parquet.Float:
		return TypeDouble, func(v parquet.Value, _ *interner, _ int) (any, *Error) { return float64(v.Float()), nil }, nil
	case parquet.Double:
		return TypeDouble, func(v parquet.Value, _ *interner, _ int) (any, *Error) { return v.Double(), nil }, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return TypeString, parquetString, nil
	}
	return "", nil, &Error{Msg: "the column's Parquet type " + t.String() + " cannot be read as a profile value",
		Hint: "convert it to a string or number column when writing the file, or leave it out"}
}

func unitNanos(u *format.TimeUnit) int64 {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return int64(time.Millisecond)
	case *format.MicroSeconds:
		return int64(time.Microsecond)
	}
	return 1
}

func parquetString(v parquet.Value, in *interner, col int) (any, *Error) {
	b := v.ByteArray()
	if !utf8.Valid(b) {
		return nil, &Error{Msg: "the value is not valid UTF-8 text", Hint: "write text columns as UTF-8 strings; binary data cannot be a profile value"}
	}
	return in.str(col, b), nil
}

func parquetUUID(v parquet.Value, _ *interner, _ int) (any, *Error) {
	b := v.ByteArray()
	if len(b) != 16 {
		return nil, &Error{Msg: fmt.Sprintf("the UUID is %d bytes long, not 16", len(b)), Hint: "write UUIDs as 16-byte values"}
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// parquetInt reads INT32 and INT64 values, and signed INT annotations of either.
func parquetInt(v parquet.Value, _ *interner, _ int) (any, *Error) {
	if v.Kind() == parquet.Int32 {
		return int64(v.Int32()), nil
	}
	return v.Int64(), nil
}

func parquetUint32(v parquet.Value, _ *interner, _ int) (any, *Error) {
	if v.Kind() == parquet.Int32 {
		return int64(uint32(v.Int32())), nil
	}
	return v.Int64(), nil
}

func parquetUint64(v parquet.Value, _ *interner, _ int) (any, *Error) {
	x := v.Int64()
	if x < 0 {
		return nil, &Error{Msg: "the unsigned value is over 9223372036854775807, the largest int", Hint: "write it as a string or double column"}
	}
	return x, nil
}

func parquetDate(v parquet.Value, _ *interner, _ int) (any, *Error) {
	return time.Unix(int64(v.Int32())*86400, 0).UTC(), nil
}

// parquetTimestamp reads INT64 timestamps counting units of unit nanoseconds since 1970.
func parquetTimestamp(unit int64) parquetConv {
	return func(v parquet.Value, _ *interner, _ int) (any, *Error) {
		x := v.Int64()
		if unit == 1 {
			return time.Unix(0, x).UTC(), nil
		}
		per := int64(time.Second) / unit
		return time.Unix(x/per, (x%per)*unit).UTC(), nil
	}
}

// parquetTime reads TIME values (units of unit nanoseconds since midnight) as HH:MM:SS.fff.
func parquetTime(unit int64) parquetConv {
	return func(v parquet.Value, _ *interner, _ int) (any, *Error) {
		x := v.Int64()
		if v.Kind() == parquet.Int32 {
			x = int64(v.Int32())
		}
		return time.Unix(0, x*unit).UTC().Format("15:04:05.999999999"), nil
	}
}

// parquetInt96 reads the legacy INT96 timestamps of Impala, Hive and Spark: nanoseconds of the
// day, then the Julian day number.
func parquetInt96(v parquet.Value, _ *interner, _ int) (any, *Error) {
	i := v.Int96()
	nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
	days := int64(i[2]) - 2440588 // Julian day of 1970-01-01
	return time.Unix(days*86400, nanos).UTC(), nil
}

// parquetDecimal reads DECIMAL values (INT32, INT64, or big-endian two's complement bytes) with
// the given scale as doubles.
func parquetDecimal(scale int) parquetConv {
	return func(v parquet.Value, _ *interner, _ int) (any, *Error) {
		switch v.Kind() {
		case parquet.Int32:
			return float64(v.Int32()) / math.Pow10(scale), nil
		case parquet.Int64:
			return float64(v.Int64()) / math.Pow10(scale), nil
		}
		b := v.ByteArray()
		x := new(big.Int).SetBytes(b)
		if len(b) > 0 && b[0]&0x80 != 0 {
			x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		}
		f, _ := new(big.Float).Quo(new(big.Float).SetInt(x), new(big.Float).SetFloat64(math.Pow10(scale))).Float64()
		return f, nil
	}
}

// parquetFloat16 reads IEEE 754 half-precision values (little-endian).
func parquetFloat16(v parquet.Value, _ *interner, _ int) (any, *Error) {
	b := v.ByteArray()
	if len(b) != 2 {
		return nil, &Error{Msg: "the FLOAT16 value is not 2 bytes long", Hint: "write the file again"}
	}
	h := binary.LittleEndian.Uint16(b)
	sign, exp, frac := float64(1), int(h>>10&0x1f), float64(h&0x3ff)
	if h&0x8000 != 0 {
		sign = -1
	}
	switch exp {
	case 0:
		return sign * frac * math.Pow(2, -24), nil
	case 0x1f:
		if frac == 0 {
			return sign * math.Inf(1), nil
		}
		return math.NaN(), nil
	}
	return sign * (1 + frac/1024) * math.Pow(2, float64(exp-15)), nil
}
