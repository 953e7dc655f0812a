package drill

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/corpus from the generator")

// corpusDir holds the committed corpus of broken (and tricky but valid) profile files.
const corpusDir = "testdata/corpus"

// corpusFile is one file of the corpus. parses says whether reading the whole file as a source
// succeeds; when it does not, wantErr are words of the *segment.Error (file position and column
// included) it must fail with.
type corpusFile struct {
	name    string
	data    []byte
	parses  bool
	wantErr []string
}

// header is the columns of every CSV in the corpus; the drill's bad-input configuration maps them.
const header = "email,first_name,last_name,postal_code,lifetime_value\r\n"

// goodRows are three valid, synthetic profiles.
const goodRows = "user000001@example.com,Ada,Lovelace,94107,12.5\r\n" +
	"user000002@example.org,Alan,Turing,10115,40\r\n" +
	"user000003@example.net,Grace,Hopper,SW1A 2AA,0\r\n"

func csvWith(rows ...string) []byte {
	return []byte(header + strings.Join(rows, "\r\n") + "\r\n")
}

func utf16le(s string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xff, 0xfe})
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.Bytes()
}

// binaryBlob is deterministic bytes that look like a PNG image: a file exported by mistake.
func binaryBlob() []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
	x := uint32(2463534242)
	for len(b) < 2048 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b = append(b, byte(x))
	}
	return b
}

// lateTypeChange is 1,001 profiles whose lifetime_value is a number, then one where it is a
// string: past the lines that determine the columns' types.
func lateTypeChange() []byte {
	var b bytes.Buffer
	for i := 1; i <= 1001; i++ {
		fmt.Fprintf(&b, `{"email":"user%06d@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":%d.5}`+"\n", i, i)
	}
	b.WriteString(`{"email":"user001002@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":"lots"}` + "\n")
	return b.Bytes()
}

// corpus returns the committed corpus. Every value is synthetic (example.com/.org/.net).
func corpus() []corpusFile {
	return []corpusFile{
		{name: "csv_latin1_value.csv", data: csvWith("user000001@example.com,Ada,Lovelace,94107,12.5", "user000002@example.org,Jos\xe9,Garc\xeda,28001,40"),
			wantErr: []string{"csv_latin1_value.csv line 3", `column "first_name"`, "not valid UTF-8", "save the file as UTF-8"}},
		{name: "csv_utf16le.csv", data: utf16le(string(csvWith("user000001@example.com,Ada,Lovelace,94107,12.5"))),
			wantErr: []string{"csv_utf16le.csv line 1", "UTF-16", "not UTF-8", "iconv"}},
		{name: "csv_utf8_bom.csv", data: append([]byte("\xef\xbb\xbf"), csvWith(strings.TrimRight(goodRows, "\r\n"))...), parses: true},
		{name: "csv_ragged_extra_field.csv", data: csvWith("user000001@example.com,Ada,Lovelace,94107,12.5", "user000002@example.org,Alan,Turing,10115,40,extra"),
			wantErr: []string{"csv_ragged_extra_field.csv line 3", "6 fields but the header has 5", "enclose fields that contain commas"}},
		{name: "csv_ragged_missing_field.csv", data: csvWith("user000001@example.com,Ada,Lovelace,94107,12.5", "user000002@example.org,Alan,10115,40"),
			wantErr: []string{"csv_ragged_missing_field.csv line 3", "4 fields but the header has 5"}},
		{name: "csv_unterminated_quote.csv", data: csvWith("user000001@example.com,Ada,Lovelace,94107,12.5", `user000002@example.org,"Alan,Turing,10115,40`, "user000003@example.net,Grace,Hopper,SW1A 2AA,0"),
			wantErr: []string{"csv_unterminated_quote.csv line 3", "unterminated quoted field", "add the closing double quote"}},
		{name: "csv_text_after_quote.csv", data: csvWith(`user000001@example.com,"Ada"x,Lovelace,94107,12.5`),
			wantErr: []string{"csv_text_after_quote.csv line 2", "after the closing quote", "written twice"}},
		{name: "csv_binary.csv", data: binaryBlob(),
			wantErr: []string{"csv_binary.csv line 1"}},
		{name: "csv_empty.csv", data: nil,
			wantErr: []string{"csv_empty.csv", "the file is empty", "add a first line"}},
		{name: "csv_header_only.csv", data: []byte(header), parses: true},
		{name: "csv_duplicate_header.csv", data: []byte("email,first_name,email,postal_code,lifetime_value\r\nuser000001@example.com,Ada,x,94107,1\r\n"),
			wantErr: []string{"csv_duplicate_header.csv line 1", "names this column twice", "distinct name"}},
		{name: "csv_nul_in_value.csv", data: csvWith("user000001@example.com,A\x00da,Lovelace,94107,12.5"), parses: true},
		{name: "csv_no_email_column.csv", data: []byte("mail,first_name,last_name,postal_code,lifetime_value\r\nuser000001@example.com,Ada,Lovelace,94107,12.5\r\n"), parses: true},
		{name: "jsonl_invalid_json.jsonl", data: []byte(`{"email":"user000001@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":12.5}` + "\n" +
			`{"email":"user000002@example.org","first_name":}` + "\n"),
			wantErr: []string{"jsonl_invalid_json.jsonl line 2", "invalid JSON", "one complete JSON object"}},
		{name: "jsonl_array_line.jsonl", data: []byte(`{"email":"user000001@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":12.5}` + "\n" +
			`["user000002@example.org","Alan"]` + "\n"),
			wantErr: []string{"jsonl_array_line.jsonl line 2"}},
		{name: "jsonl_latin1_value.jsonl", data: []byte(`{"email":"user000001@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":12.5}` + "\n" +
			"{\"email\":\"user000002@example.org\",\"first_name\":\"Jos\xe9\",\"last_name\":\"Garcia\",\"postal_code\":\"28001\",\"lifetime_value\":40}\n"),
			wantErr: []string{"jsonl_latin1_value.jsonl line 2", "invalid UTF-8", "save the file as UTF-8"}},
		{name: "jsonl_truncated.jsonl", data: []byte(`{"email":"user000001@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":12.5}` + "\n" +
			`{"email":"user000002@exa`),
			wantErr: []string{"jsonl_truncated.jsonl line 2", "invalid JSON"}},
		{name: "jsonl_nested_value.jsonl", data: []byte(`{"email":"user000001@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":{"code":"94107"},"lifetime_value":12.5}` + "\n"),
			wantErr: []string{"jsonl_nested_value.jsonl line 1", `column "postal_code"`, "JSON object", "flatten nested values"}},
		{name: "jsonl_type_change.jsonl", parses: true, data: []byte(`{"email":"user000001@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":12.5}` + "\n" +
			`{"email":"user000002@example.org","first_name":"Alan","last_name":"Turing","postal_code":"10115","lifetime_value":"lots"}` + "\n")},
		{name: "jsonl_type_change_late.jsonl", data: lateTypeChange(), parses: true},
		{name: "jsonl_utf8_bom.jsonl", data: []byte("\xef\xbb\xbf" + `{"email":"user000001@example.com","first_name":"Ada","last_name":"Lovelace","postal_code":"94107","lifetime_value":12.5}` + "\r\n"), parses: true},
		{name: "emails_invalid.csv", parses: true, data: csvWith(
			"user000004example.com,Dennis,Ritchie,10001,1",
			"user 000005@example.com,Barbara,Liskov,10002,2",
			"user000006@example,Ken,Thompson,10003,3",
			"user000007@@example.com,Radia,Perlman,10004,4",
			".user000008@example.com,Edsger,Dijkstra,10005,5",
			"user000009@example..com,Frances,Allen,10006,6",
			"\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc000010@example.com,Donald,Knuth,10007,7",
			"user000011@192.168.0.1,Katherine,Johnson,10008,8",
			`"""quoted""000012""@example.com",Tim,Berners-Lee,10009,9`,
			"user000013."+strings.Repeat("x", 250)+"@example.com,Hedy,Lamarr,10010,10",
			",Claude,Shannon,10011,11")},
		{name: "emails_tricky_valid.csv", parses: true, data: csvWith(
			"\"  User000021@Example.COM \",Annie,Easley,20001,1",
			"user000022+newsletter@example.com,John,Backus,20002,2",
			"o'brien.000023@example.org,Mary,Keller,20003,3",
			"user_000024@mail.example.net,Guido,van Rossum,20004,4")},
		{name: "names_too_long.csv", parses: true, data: csvWith(
			"user000031@example.com,"+strings.Repeat("Ada", 17)+",Lovelace,30001,1",
			"user000032@example.org,Alan,"+strings.Repeat("Turing-", 43)+",30002,2",
			"user000033@example.net,Grace,Hopper,30003,3")},
		{name: "custom_wrong_type.csv", parses: true, data: csvWith(
			"user000041@example.com,Ada,Lovelace,40001,lots",
			"user000042@example.org,Alan,Turing,40002,\"12,5\"",
			"user000043@example.net,Grace,Hopper,40003,7")},
		{name: "duplicates.csv", parses: true, data: csvWith(
			"user000051@example.com,Ada,Lovelace,50001,1",
			"USER000051@EXAMPLE.COM,Ada,Lovelace-Byron,50001,2",
			"user000052@example.org,Alan,Turing,50002,3",
			" user000051@example.com ,Ada,King,50001,4",
			"user000053@example.net,Grace,Hopper,50003,5",
			"User000052@Example.org,Alan,Turing,50002,6")},
	}
}

// TestCorpusIsCommitted keeps testdata/corpus equal to the generator (go test -run
// TestCorpusIsCommitted -update-corpus ./internal/drill rewrites it).
func TestCorpusIsCommitted(t *testing.T) {
	for _, f := range corpus() {
		path := filepath.Join(corpusDir, f.name)
		if *updateCorpus {
			if err := os.MkdirAll(corpusDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run with -update-corpus)", f.name, err)
		}
		if !bytes.Equal(got, f.data) {
			t.Errorf("%s differs from the generator (run with -update-corpus)", f.name)
		}
	}
}

// TestCorpusThroughSegments reads every corpus file as a segment, without Terraform: the broken
// ones fail with an error that names the file and line (and the column where one is concerned)
// and says what to do; none panics.
func TestCorpusThroughSegments(t *testing.T) {
	for _, f := range corpus() {
		t.Run(f.name, func(t *testing.T) {
			rows, err := scanSegment(filepath.Join(corpusDir, f.name))
			if f.parses {
				if err != nil {
					t.Fatalf("reading failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("reading succeeded with %d rows; want an error", rows)
			}
			var se *segment.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *segment.Error: %v", err, err)
			}
			if se.Attribute != "source" || se.Hint == "" {
				t.Errorf("error names attribute %q and hint %q; want source and a hint", se.Attribute, se.Hint)
			}
			msg := err.Error()
			for _, w := range f.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("the error does not say %q: %s", w, msg)
				}
			}
		})
	}
}

func scanSegment(path string) (int, error) {
	ctx := context.Background()
	seg, err := segment.Open(ctx, segment.Spec{Name: "customers", Source: path})
	if err != nil {
		return 0, err
	}
	defer func() { _ = seg.Close() }()
	n := 0
	err = seg.Scan(ctx, func(*profile.Row) error { n++; return nil })
	return n, err
}
