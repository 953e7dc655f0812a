package profile

import (
	"context"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

func TestCheckSpec(t *testing.T) {
	tests := []struct {
		spec string
		kind Kind
		want string // substring of the error; "" for no error
	}{
		{"customers.csv", KindCSV, ""},
		{"data/Customers.CSV", KindCSV, ""},
		{"csv:export.txt", KindCSV, ""},
		{"customers.jsonl", KindJSONL, ""},
		{"customers.ndjson", KindJSONL, ""},
		{"jsonl:dump.log", KindJSONL, ""},
		{"sqlite:profiles.db", KindSQLite, ""},
		{"sqlite://profiles.db", KindSQLite, ""},
		{"profiles.sqlite3", KindSQLite, ""},
		{"postgres://app@db.example.com:5432/crm?sslmode=require", KindPostgres, ""},
		{"postgresql://app@localhost/crm", KindPostgres, ""},
		{"customers.parquet", KindParquet, ""},
		{"parquet:export.bin", KindParquet, ""},
		{"customers.csv.gz", KindCSV, ""},
		{"Customers.CSV.GZ", KindCSV, ""},
		{"customers.jsonl.zst", KindJSONL, ""},
		{"customers.ndjson.gz", KindJSONL, ""},
		{"customers.parquet.gz", KindParquet, ""},
		{"csv:export.txt.gz", KindCSV, ""},
		{"jsonl:dump.log.zst", KindJSONL, ""},
		{"parquet:", "", "names no file"},
		{"customers.gz", "", "cannot tell the kind of the compressed file"},
		{"customers.db.gz", "", "cannot tell the kind of the compressed file"},
		{"", "", "the source is empty"},
		{"customers.xlsx", "", "cannot tell the kind of source"},
		{"mysql://app@host/db", KindMySQL, ""},
		{"mariadb://app@host/db", "", `unsupported source scheme "mariadb"`},
		{"sqlite:", "", "names no file"},
		{"csv:", "", "names no file"},
		{"postgres:///crm", "", "names no host"},
		{"postgres://app:s3cret-pw@db.example.com/crm", "", "contains a password"},
		{"postgres://app@db.example.com/crm?password=s3cret-pw", "", "contains a password"},
		{"postgres://app@db.example.com/crm?sslmode=require&PassWord=s3cret-pw", "", "contains a password"},
	}
	for _, tt := range tests {
		kind, err := CheckSpec(tt.spec)
		if tt.want == "" {
			if err != nil || kind != tt.kind {
				t.Errorf("CheckSpec(%q) = %q, %v; want %q", tt.spec, kind, err, tt.kind)
			}
			continue
		}
		pe := wantError(t, err, []string{tt.want})
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("CheckSpec(%q): the error reveals the password: %v", tt.spec, err)
		}
		if strings.Contains(tt.want, "password") {
			for _, w := range []string{"PGPASSWORD", ".pgpass", "provider configuration"} {
				if !strings.Contains(pe.Hint, w) {
					t.Errorf("password advice %q does not mention %s", pe.Hint, w)
				}
			}
		}
	}
}

func TestQueryOnFileSource(t *testing.T) {
	p := writeFile(t, "customers.csv", "email\nuser1@example.com\n")
	_, err := Open(context.Background(), p, "SELECT * FROM profiles")
	pe := wantError(t, err, []string{"SQL query cannot be used with a CSV file", "filter"})
	if !pe.InQuery {
		t.Error("the error is not marked as a query error")
	}
}

func TestPosString(t *testing.T) {
	tests := []struct {
		p    Pos
		want string
	}{
		{Pos{File: "customers.csv", Line: 12, Row: 11}, "customers.csv line 12"},
		{Pos{File: "sqlite.db", Row: 3}, "sqlite.db row 3"},
		{Pos{Row: 3}, "row 3"},
		{Pos{File: "x.csv"}, "x.csv"},
		{Pos{}, ""},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Pos: Pos{File: "c.csv", Line: 3}, Column: "email", Msg: "bad", Hint: "fix it"}
	if got, want := e.Error(), `c.csv line 3, column "email": bad; fix it`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &Error{Msg: "bad"}
	if got := e.Error(); got != "bad" {
		t.Errorf("Error() = %q", got)
	}
}

func TestSanitizeMessage(t *testing.T) {
	q := `SELECT email::int FROM "Customers" WHERE plan = 'pro'`
	got := privacy.MaskQuoted(`invalid input syntax for type integer: "jane.doe@example.com" in relation "Customers" for 'pro'`, q)
	if strings.Contains(got, "jane.doe") || !strings.Contains(got, `"Customers"`) || !strings.Contains(got, `'pro'`) {
		t.Errorf("sanitizeMessage = %q: want the email masked and the query's names kept", got)
	}
}
