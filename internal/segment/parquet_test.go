package segment

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// The same profiles read from CSV, JSON Lines, Parquet and compressed files give the same
// summary: count, columns and types, and content fingerprint.
func TestParquetAndCompressedFilesPreviewLikeCSV(t *testing.T) {
	_, srcs := dataset(t, 1500)
	key := []byte("fingerprint key")
	filter := `country == "United States" && lifetime_value > 100.0 && marketing_opt_in`
	want, err := Preview(context.Background(), Spec{Name: "s", Source: srcs["csv"], Filter: filter}, key)
	if err != nil || want.Count == 0 || want.Fingerprint == "" {
		t.Fatalf("CSV preview %+v, %v", want, err)
	}
	for _, kind := range []string{"jsonl", "parquet", "csv.gz", "jsonl.zst"} {
		got, err := Preview(context.Background(), Spec{Name: "s", Source: srcs[kind], Filter: filter}, key)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if got.Count != want.Count || got.Scanned != want.Scanned || !reflect.DeepEqual(got.Columns, want.Columns) || got.Fingerprint != want.Fingerprint {
			t.Errorf("%s: %+v\nwant %+v", kind, got, want)
		}
	}
}

func TestParquetFilterIsTypeCheckedAgainstTheSchema(t *testing.T) {
	_, srcs := dataset(t, 10)
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"string against int", `country > 3`, []string{"filter:1:9:", "no matching overload", `column "country" is string`}},
		{"bool column used as a string", `marketing_opt_in == "yes"`, []string{"no matching overload", `column "marketing_opt_in" is bool`}},
		{"unknown column lists the schema's", `zzzzzzzz`, []string{"the columns are email (string)", "lifetime_value (double)", "marketing_opt_in (bool)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), Spec{Name: "s", Source: srcs["parquet"], Filter: tt.filter})
			wantSegmentError(t, err, "filter", tt.want)
		})
	}
	_, err := Open(context.Background(), Spec{Name: "s", Source: srcs["parquet"], Query: "SELECT * FROM profiles"})
	wantSegmentError(t, err, "query", []string{"SQL query applies only to database sources", "Parquet file"})
	if err := Check(Spec{Name: "s", Source: "customers.parquet", Query: "SELECT 1"}); err == nil || !strings.Contains(err.Error(), "Parquet file") {
		t.Errorf("Check: %v; want the query refused for a Parquet file", err)
	}
}

type pqOptIn struct {
	Email string `parquet:"email"`
	Note  []byte `parquet:"note"`
}

// A value that is not UTF-8 in a Parquet string column is an invalid value of its row, named
// by file, row and column, masked.
func TestParquetInvalidValueNamesFileAndRow(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqOptIn](&buf)
	_, _ = w.Write([]pqOptIn{{"user1@example.com", []byte("ok")}, {"user2@example.com", []byte{0xC3, 0x28, 'z', 'z'}}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "customers.parquet")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := Preview(context.Background(), Spec{Name: "s", Source: p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `customers.parquet row 2, column "note": the value is not valid UTF-8 text`
	if sum.Invalid != 1 || !strings.Contains(sum.FirstInvalid, want) || strings.Contains(sum.FirstInvalid, "zz") {
		t.Errorf("invalid %d, first %q; want one containing %q, masked", sum.Invalid, sum.FirstInvalid, want)
	}
	if sum.Columns[1] != (profile.Column{Name: "note", Type: profile.TypeString}) {
		t.Errorf("columns %v", sum.Columns)
	}
}
