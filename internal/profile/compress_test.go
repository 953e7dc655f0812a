package profile

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func gzipBytes(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range parts { // one gzip member per part, concatenated as `cat a.gz b.gz` makes
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeBytes(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	compressCSV   = "email,lifetime_value:double,opt_in:bool\r\nuser1@example.com,12.5,true\r\nuser2@example.com,,no\r\n"
	compressJSONL = "{\"email\":\"user1@example.com\",\"lifetime_value\":12.5,\"opt_in\":true}\n{\"email\":\"user2@example.com\",\"opt_in\":false}\n"
)

func TestCompressedFilesReadAsUncompressed(t *testing.T) {
	wantCols := []Column{{"email", TypeString}, {"lifetime_value", TypeDouble}, {"opt_in", TypeBool}}
	want := [][]any{{"user1@example.com", 12.5, true}, {"user2@example.com", nil, false}}
	tests := []struct {
		name, file, prefix string
		data               []byte
	}{
		{"csv.gz", "customers.csv.gz", "", gzipBytes(t, compressCSV)},
		{"csv.gz of two gzip members", "customers.csv.gz", "", gzipBytes(t, compressCSV[:40], compressCSV[40:])},
		{"csv.zst", "customers.csv.zst", "", zstdBytes(t, compressCSV)},
		{"csv: prefix", "export.txt.gz", "csv:", gzipBytes(t, compressCSV)},
		{"jsonl.zst", "customers.jsonl.zst", "", zstdBytes(t, compressJSONL)},
		{"ndjson.gz", "customers.ndjson.gz", "", gzipBytes(t, compressJSONL)},
		{"jsonl: prefix", "dump.log.zst", "jsonl:", zstdBytes(t, compressJSONL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeBytes(t, tt.file, tt.data)
			cols, rows, err := readAll(t, tt.prefix+p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cols, wantCols) {
				t.Errorf("columns %v, want %v", cols, wantCols)
			}
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i, r := range rows {
				if !reflect.DeepEqual(r.Values, want[i]) {
					t.Errorf("row %d = %v, want %v", i+1, r.Values, want[i])
				}
				if r.Pos.File != p || r.Pos.Row != int64(i+1) || r.Pos.Line == 0 {
					t.Errorf("row %d at %+v, want the file, a line and row %d", i+1, r.Pos, i+1)
				}
			}
		})
	}
}

func TestCompressedFileErrors(t *testing.T) {
	full := gzipBytes(t, compressCSV+"user3@example.com,1,yes\r\n")
	t.Run("not gzip data", func(t *testing.T) {
		p := writeBytes(t, "customers.csv.gz", []byte(compressCSV))
		_, _, err := readAll(t, p, Options{})
		wantError(t, err, []string{p, "ends in .gz, but the file is not gzip data", "gzip"}, "user1@example.com")
	})
	t.Run("not zstd data", func(t *testing.T) {
		p := writeBytes(t, "customers.jsonl.zst", gzipBytes(t, compressJSONL))
		_, _, err := readAll(t, p, Options{})
		wantError(t, err, []string{p, "Zstandard"})
	})
	t.Run("truncated gzip", func(t *testing.T) {
		p := writeBytes(t, "customers.csv.gz", full[:len(full)-12])
		src, err := OpenWith(t.Context(), p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = src.Close() }()
		err = src.Scan(t.Context(), func(*Row) error { return nil })
		pe := wantError(t, err, []string{p, "line ", "gzip data is truncated", "no profile of the file is used"}, "user3@example.com")
		if pe.Pos.Line == 0 {
			t.Errorf("error %q names no line", err)
		}
	})
	t.Run("damaged gzip", func(t *testing.T) {
		bad := bytes.Clone(full)
		bad[len(bad)-6] ^= 0xFF // the CRC-32 at the end
		p := writeBytes(t, "customers.csv.gz", bad)
		_, _, err := readAll(t, p, Options{})
		wantError(t, err, []string{p, "gzip data is damaged", "gzip -t"})
	})
	t.Run("UTF-16 inside gzip", func(t *testing.T) {
		p := writeBytes(t, "customers.csv.gz", gzipBytes(t, "\xFF\xFEe\x00m\x00"))
		_, _, err := readAll(t, p, Options{})
		wantError(t, err, []string{p, "UTF-16"})
	})
}

// A Zstandard stream asking for a window over 128 MiB is refused before the memory is taken.
func TestZstdWindowIsBounded(t *testing.T) {
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithSingleSegment(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write([]byte(compressCSV)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// The frame header (RFC 8878 section 3.1.1.1): magic, descriptor, then, for a frame that is
	// not a single segment, the window descriptor: exponent 18 is a window of 2^28 = 256 MiB.
	b := buf.Bytes()
	if b[4]&0x20 != 0 {
		t.Fatalf("frame header % x has no window descriptor", b[:6])
	}
	b[5] = 18 << 3
	p := writeBytes(t, "customers.csv.zst", b)
	_, _, err = readAll(t, p, Options{})
	wantError(t, err, []string{p, "window over 128 MiB", "--long"})
}
