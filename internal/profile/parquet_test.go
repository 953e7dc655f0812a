package profile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquetBytes writes rows as a Parquet file and returns its bytes.
func parquetBytes[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type pqTyped struct {
	Email    string    `parquet:"email"`
	First    *string   `parquet:"first_name,optional"`
	Age      int32     `parquet:"age"`
	Visits   uint64    `parquet:"visits,uint(64)"`
	LTV      float64   `parquet:"lifetime_value"`
	Score    float32   `parquet:"score"`
	OptIn    *bool     `parquet:"marketing_opt_in,optional"`
	Signed   time.Time `parquet:"signed_up,timestamp(microsecond)"`
	Born     int32     `parquet:"born,date"` // days since 1970 (parquet-go v0.32.0 writes a time.Time date wrongly)
	Balance  int64     `parquet:"balance,decimal(2:18)"`
	Plan     string    `parquet:"plan,enum"`
	Raw      []byte    `parquet:"raw"`
	PlainStr string    `parquet:"note,bytes"`
}

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

func TestParquetColumnsTypesAndValues(t *testing.T) {
	signed := time.Date(2024, 5, 1, 12, 30, 0, 123456000, time.UTC)
	born := time.Date(1990, 2, 3, 0, 0, 0, 0, time.UTC)
	rows := []pqTyped{
		{Email: "user1@example.com", First: strp("Ada"), Age: 36, Visits: 7, LTV: 120.5, Score: 0.5, OptIn: boolp(true),
			Signed: signed, Born: 7338, Balance: 12345, Plan: "pro", Raw: []byte("x1"), PlainStr: "n"},
		{Email: "user2@example.com", Age: -1, Visits: 1 << 63, LTV: 0, Signed: signed, Born: 7338, Balance: -5, Plan: "free",
			Raw: []byte{0xff, 0xfe, 0x41}},
	}
	p := writeBytes(t, "customers.parquet", parquetBytes(t, rows))
	cols, got, err := readAll(t, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []Column{{"email", TypeString}, {"first_name", TypeString}, {"age", TypeInt}, {"visits", TypeInt},
		{"lifetime_value", TypeDouble}, {"score", TypeDouble}, {"marketing_opt_in", TypeBool}, {"signed_up", TypeTimestamp},
		{"born", TypeTimestamp}, {"balance", TypeDouble}, {"plan", TypeString}, {"raw", TypeString}, {"note", TypeString}}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Fatalf("columns\n%v\nwant\n%v", cols, wantCols)
	}
	want := [][]any{
		{"user1@example.com", "Ada", int64(36), int64(7), 120.5, 0.5, true, signed, born, 123.45, "pro", "x1", "n"},
		{"user2@example.com", nil, int64(-1), nil, 0.0, 0.0, nil, signed, born, -0.05, "free", nil, ""},
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2", len(got))
	}
	for i, r := range got {
		if !reflect.DeepEqual(r.Values, want[i]) {
			t.Errorf("row %d\n%#v\nwant\n%#v", i+1, r.Values, want[i])
		}
		if r.Pos.File != p || r.Pos.Row != int64(i+1) {
			t.Errorf("row %d at %+v", i+1, r.Pos)
		}
	}
	if len(got[0].Invalid) != 0 {
		t.Errorf("row 1 invalid: %+v", got[0].Invalid)
	}
	// An unsigned value over the int range and bytes that are not UTF-8 are invalid values of
	// their row, masked; the columns keep their types.
	inv := got[1].Invalid
	if len(inv) != 2 || inv[0].Name != "visits" || inv[1].Name != "raw" || !strings.Contains(inv[1].Msg, "UTF-8") {
		t.Fatalf("row 2 invalid values %+v, want visits and raw", inv)
	}
	for _, v := range inv {
		if v.Masked == "" || strings.Contains(v.Masked, "9223372036854775808") {
			t.Errorf("invalid value %+v is not masked", v)
		}
	}
}

type pqEmail struct {
	Email string `parquet:"email"`
	N     int64  `parquet:"n"`
}

func TestParquetStreamsRowGroupsInOrder(t *testing.T) {
	const n = 2500
	rows := make([]pqEmail, n)
	for i := range rows {
		rows[i] = pqEmail{Email: "user" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + "@example.com", N: int64(i + 1)}
	}
	data := parquetBytes(t, rows, parquet.MaxRowsPerRowGroup(700))
	p := writeBytes(t, "customers.parquet", data)
	src, err := OpenWith(context.Background(), "parquet:"+p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	if got := len(src.(*parquetSource).file.RowGroups()); got < 4 {
		t.Fatalf("the file has %d row groups; the test needs several", got)
	}
	for pass := range 2 { // a second Scan reads the file again from the start
		var seen int64
		err = src.Scan(context.Background(), func(r *Row) error {
			seen++
			if r.Values[1] != seen || r.Pos.Row != seen {
				t.Fatalf("pass %d: row %d holds n=%v at %+v", pass, seen, r.Values[1], r.Pos)
			}
			return nil
		})
		if err != nil || seen != n {
			t.Fatalf("pass %d: %d rows, %v; want %d", pass, seen, err, n)
		}
	}
	var seen int
	err = src.Scan(context.Background(), func(*Row) error {
		if seen++; seen == 1000 {
			return ErrStop
		}
		return nil
	})
	if err != nil || seen != 1000 {
		t.Errorf("ErrStop: %d rows, %v", seen, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = src.Scan(ctx, func(*Row) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled scan returned %v", err)
	}
}

type pqAddress struct {
	City string `parquet:"city"`
}

type pqNested struct {
	Email   string    `parquet:"email"`
	Address pqAddress `parquet:"address"`
}

type pqRepeated struct {
	Email string   `parquet:"email"`
	Tags  []string `parquet:"tags"`
}

type pqList struct {
	Email string   `parquet:"email"`
	Tags  []string `parquet:"tags,list"`
}

type pqMap struct {
	Email string            `parquet:"email"`
	Attrs map[string]string `parquet:"attrs"`
}

type pqJSONOK struct {
	Email string `parquet:"email"`
	Attrs string `parquet:"attrs,json"`
}

type pqGeometry struct {
	Email string `parquet:"email"`
	Where []byte `parquet:"where,geometry"`
}

func TestParquetRefusesNestedAndRepeatedColumns(t *testing.T) {
	tests := []struct {
		name, column, want string
		data               []byte
	}{
		{"struct", "address", "nested", parquetBytes(t, []pqNested{{Email: "user1@example.com", Address: pqAddress{City: "Oslo"}}})},
		{"repeated", "tags", "repeated", parquetBytes(t, []pqRepeated{{Email: "user1@example.com", Tags: []string{"a"}}})},
		{"list", "tags", "nested", parquetBytes(t, []pqList{{Email: "user1@example.com", Tags: []string{"a"}}})},
		{"map", "attrs", "nested", parquetBytes(t, []pqMap{{Email: "user1@example.com", Attrs: map[string]string{"k": "v"}}})},
		{"geometry", "where", "GEOMETRY", parquetBytes(t, []pqGeometry{{Email: "user1@example.com", Where: []byte{1}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeBytes(t, "customers.parquet", tt.data)
			_, _, err := readAll(t, p, Options{})
			pe := wantError(t, err, []string{p, `column "` + tt.column + `"`, tt.want}, "user1@example.com", "Oslo")
			if pe.Column != tt.column {
				t.Errorf("Column = %q, want %q", pe.Column, tt.column)
			}
		})
	}
	// A JSON column is text, not nesting.
	p := writeBytes(t, "customers.parquet", parquetBytes(t, []pqJSONOK{{Email: "user1@example.com", Attrs: `{"k":1}`}}))
	cols, _, err := readAll(t, p, Options{})
	if err != nil || cols[1] != (Column{"attrs", TypeString}) {
		t.Errorf("JSON column: %v, %v", cols, err)
	}
}

func TestParquetDamagedFiles(t *testing.T) {
	good := parquetBytes(t, []pqEmail{{Email: "user1@example.com", N: 1}, {Email: "user2@example.com", N: 2}})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"CSV named .parquet", []byte("email\nuser1@example.com\n"), "not a readable Parquet file"},
		{"truncated", good[:len(good)-20], "not a readable Parquet file"},
		{"empty", nil, "not a readable Parquet file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeBytes(t, "customers.parquet", tt.data)
			_, _, err := readAll(t, p, Options{})
			wantError(t, err, []string{p, tt.want}, "user1@example.com")
		})
	}
	t.Run("missing", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "customers.parquet")
		_, _, err := readAll(t, p, Options{})
		wantError(t, err, []string{p, "does not exist"})
	})
}

func TestCompressedParquetUsesPrivateTempFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(parquetBytes(t, []pqEmail{{Email: "user1@example.com", N: 1}, {Email: "user2@example.com", N: 2}}))
	_ = zw.Close()
	p := writeBytes(t, "customers.parquet.gz", gz.Bytes())

	src, err := OpenWith(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	temps, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(temps) != 1 {
		t.Fatalf("temporary files while open: %v, want one", temps)
	}
	if st, err := os.Stat(temps[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("temporary file %v mode %v, want 0600", err, st.Mode().Perm())
	}
	var n int
	if err := src.Scan(context.Background(), func(r *Row) error {
		n++
		if r.Pos.File != p {
			t.Errorf("row at %q, want the compressed file's name", r.Pos.File)
		}
		return nil
	}); err != nil || n != 2 {
		t.Fatalf("%d rows, %v", n, err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("temporary files left after Close: %v", left)
	}

	// A damaged compressed file leaves nothing behind either.
	bad := writeBytes(t, "damaged.parquet.gz", gz.Bytes()[:gz.Len()/2])
	_, _, err = readAll(t, bad, Options{})
	wantError(t, err, []string{bad, "gzip data is truncated"})
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("temporary files left after a failed open: %v", left)
	}
}

func TestParquetFromReaderAt(t *testing.T) {
	data := parquetBytes(t, []pqEmail{{Email: "user1@example.com", N: 1}})
	src, err := openParquet(context.Background(), "s3://bucket/customers.parquet", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	err = src.Scan(context.Background(), func(r *Row) error {
		if r.Pos.String() != "s3://bucket/customers.parquet row 1" || r.Values[0] != "user1@example.com" {
			t.Errorf("row %v at %q", r.Values, r.Pos)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A damaged page stops the scan with an error naming the file and row; no value of the
// damaged page is handed on.
func TestParquetDamagedPageStopsTheScan(t *testing.T) {
	rows := make([]pqEmail, 3000)
	for i := range rows {
		rows[i] = pqEmail{Email: "user" + strings.Repeat("x", i%7) + "@example.com", N: int64(i)}
	}
	data := parquetBytes(t, rows, parquet.MaxRowsPerRowGroup(1000), parquet.Compression(&snappy.Codec{}))
	src, err := openParquet(context.Background(), "customers.parquet", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Damage the pages of the second row group (its first column chunk), keeping the footer.
	rg := src.file.Metadata().RowGroups[1]
	off := rg.Columns[0].MetaData.DataPageOffset
	for i := off + 8; i < off+64 && i < int64(len(data)); i++ {
		data[i] = 0xFF
	}
	var n int64
	err = src.Scan(context.Background(), func(r *Row) error { n++; return nil })
	pe := wantError(t, err, []string{"customers.parquet row ", "damaged", "no profile of the file is used"})
	if pe.Pos.Row <= 1000 || pe.Pos.Row > 2001 || n > 1000 {
		t.Errorf("error at %+v after %d rows; want it in the second row group, before any of its rows", pe.Pos, n)
	}
}

// A page header claiming a huge page is refused before the page is read: believing it would
// make the reader allocate gigabytes.
func TestParquetHugePageHeaderIsRefused(t *testing.T) {
	rows := []pqEmail{{Email: "user1@example.com", N: 1}, {Email: "user2@example.com", N: 2}}
	for _, field := range []string{"compressed", "uncompressed", "values"} {
		t.Run(field, func(t *testing.T) {
			data := parquetBytes(t, rows)
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			m := f.Metadata().RowGroups[0].Columns[0].MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset != 0 {
				start = m.DictionaryPageOffset
			}
			var proto thrift.CompactProtocol
			cr := &countingReader{r: bytes.NewReader(data[start:])}
			var h format.PageHeader
			if err := thrift.NewDecoder(proto.NewReader(cr)).Decode(&h); err != nil {
				t.Fatal(err)
			}
			switch field {
			case "compressed":
				h.CompressedPageSize = 1 << 30
			case "uncompressed":
				h.UncompressedPageSize = 1<<31 - 1
			case "values":
				switch {
				case h.DictionaryPageHeader.Valid:
					h.DictionaryPageHeader.V.NumValues = 1 << 30
				case h.DataPageHeaderV2.Valid:
					h.DataPageHeaderV2.V.NumValues = 1 << 30
				default:
					h.DataPageHeader.V.NumValues = 1 << 30
				}
			}
			enc, err := thrift.Marshal(&proto, &h)
			if err != nil {
				t.Fatal(err)
			}
			damaged := append(append(bytes.Clone(data[:start]), enc...), data[start+cr.n:]...)
			src, err := openParquet(context.Background(), "customers.parquet", bytes.NewReader(damaged), int64(len(damaged)))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = src.Close() }()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			err = src.Scan(context.Background(), func(*Row) error { return nil })
			wantError(t, err, []string{"customers.parquet row 1", "damaged", "claims"})
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("the scan allocated %d MiB", grew>>20)
			}
		})
	}
}

// A footer whose length or whose metadata's counts exceed the bytes there are is refused
// before it is decoded.
func TestParquetDamagedFooterIsRefused(t *testing.T) {
	data := parquetBytes(t, []pqEmail{{Email: "user1@example.com", N: 1}})
	long := bytes.Clone(data)
	copy(long[len(long)-8:], []byte{0xff, 0xff, 0xff, 0x7f})
	_, err := openParquet(context.Background(), "customers.parquet", bytes.NewReader(long), int64(len(long)))
	wantError(t, err, []string{"customers.parquet", "not a readable Parquet file", "the footer claims"})

	// A list of 2^31-1 elements in a few bytes: struct field 1 of type list (0x19), a list
	// header of structs with its size in a varint (0xFC), the size, then nothing.
	for _, b := range [][]byte{
		{0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00},
		{0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 'x', 0x00}, // a string of 2^31-1 bytes
		bytes.Repeat([]byte{0x1C}, 100),                 // structs nested 100 deep
	} {
		w := thriftWalker{b: b}
		if err := w.value(thriftStruct, 0); err == nil {
			t.Errorf("walker accepted % x", b)
		}
	}
	// The footer of a good file passes.
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	w := thriftWalker{b: data[len(data)-8-n : len(data)-8]}
	if err := w.value(thriftStruct, 0); err != nil || w.left() != 0 {
		t.Errorf("good footer: %v, %d bytes left", err, w.left())
	}
}

// A compressed Parquet file that decompresses to far more than any real one (a decompression
// bomb) is refused before it fills the temporary directory, and leaves nothing behind.
func TestCompressedParquetBombRefused(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 160; i++ { // 160 MiB of zeros, about 160 KiB compressed
		_, _ = zw.Write(zeros)
	}
	_ = zw.Close()
	bomb := writeBytes(t, "bomb.parquet.gz", gz.Bytes())
	_, _, err := readAll(t, bomb, Options{})
	wantError(t, err, []string{bomb, "decompresses to more than 100 times its compressed size", "decompression bomb"})
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("temporary files left after a refused file: %v", left)
	}
	if got, want := inflateLimit(1000), int64(100_000+64<<20); got != want {
		t.Errorf("inflateLimit(1000) = %d, want %d", got, want)
	}
	if got := inflateLimit(-1); got < 1<<62 {
		t.Errorf("inflateLimit of an unknown size = %d, want no limit", got)
	}
}
