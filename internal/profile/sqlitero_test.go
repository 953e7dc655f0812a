package profile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// dirState is the names and contents of the files in a directory.
func dirState(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func names(m map[string][]byte) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestSQLiteQueriesCannotWrite runs queries that try to change the source or write files,
// and checks that each is refused as a query problem, the database file is byte-for-byte
// unchanged and no file appeared in its directory (or in the working directory).
func TestSQLiteQueriesCannotWrite(t *testing.T) {
	p := makeSQLite(t,
		`CREATE TABLE profiles (email TEXT, country TEXT)`,
		`INSERT INTO profiles VALUES ('user1@example.com','US'),('user2@example.com','DE')`,
	)
	dir := filepath.Dir(p)
	other := filepath.Join(dir, "other.db")
	attacks := map[string]string{
		"vacuum into":            "VACUUM INTO '" + filepath.Join(dir, "copy.db") + "'",
		"vacuum into, commented": "/* read */ vacuum into '" + filepath.Join(dir, "copy2.db") + "'",
		"attach and delete":      "ATTACH '" + p + "' AS w; DELETE FROM w.profiles; SELECT * FROM profiles",
		"attach creates a file":  "ATTACH '" + other + "' AS n; CREATE TABLE n.t (x); SELECT * FROM profiles",
		"select then attach":     "SELECT * FROM profiles; ATTACH '" + other + "' AS n",
		"select then delete":     "SELECT * FROM profiles; DELETE FROM profiles",
		"select then select":     "SELECT * FROM profiles; SELECT 1",
		"pragma write":           "PRAGMA user_version = 7",
		"pragma journal wal":     "PRAGMA journal_mode = WAL",
		"pragma function":        "SELECT * FROM pragma_table_info('profiles')",
		"delete returning":       "DELETE FROM profiles RETURNING *",
		"with delete returning":  "WITH x AS (SELECT 1) DELETE FROM profiles RETURNING *",
		"with insert returning":  "WITH x AS (SELECT 1) INSERT INTO profiles SELECT * FROM profiles RETURNING *",
		"with update returning":  "WITH x AS (SELECT 1) UPDATE profiles SET country = 'XX' RETURNING *",
		"replace returning":      "REPLACE INTO profiles VALUES ('a','b') RETURNING *",
		"create temp":            "CREATE TEMP TABLE t AS SELECT * FROM profiles",
		"drop":                   "DROP TABLE profiles",
		"begin":                  "BEGIN; DELETE FROM profiles; COMMIT",
		"semicolon in comment":   "SELECT * FROM profiles -- ;\n; DELETE FROM profiles",
		"load extension":         "SELECT load_extension('" + filepath.Join(dir, "x.so") + "') AS x",
	}
	before := dirState(t, dir)
	cwd, _ := os.Getwd()
	cwdBefore := dirState(t, cwd)
	for name, q := range attacks {
		t.Run(name, func(t *testing.T) {
			_, rows, err := readAll(t, "sqlite:"+p, Options{Query: q})
			pe := wantError(t, err, []string{p}, "user1@example.com")
			if !pe.InQuery {
				t.Errorf("error %q is not attributed to the query", err)
			}
			if len(rows) > 0 {
				t.Errorf("the query returned %d rows", len(rows))
			}
			after := dirState(t, dir)
			if strings.Join(names(after), ",") != strings.Join(names(before), ",") {
				t.Fatalf("files in the source's directory changed: %v -> %v", names(before), names(after))
			}
			for n, b := range before {
				if !bytes.Equal(after[n], b) {
					t.Fatalf("%s changed", n)
				}
			}
			if got := names(dirState(t, cwd)); strings.Join(got, ",") != strings.Join(names(cwdBefore), ",") {
				t.Fatalf("files in the working directory changed: %v", got)
			}
		})
	}
}

// TestSQLiteReadQueriesStillWork checks that the guards let ordinary reads through: CTEs,
// recursive CTEs, VALUES, functions, strings holding ';' and keywords, a trailing ';'.
func TestSQLiteReadQueriesStillWork(t *testing.T) {
	p := makeSQLite(t,
		`CREATE TABLE profiles (email TEXT, note TEXT)`,
		`INSERT INTO profiles VALUES ('user1@example.com','a;b'),('user2@example.com','DELETE')`,
	)
	for q, want := range map[string]int{
		"SELECT * FROM profiles;": 2,
		"select * from profiles where note <> 'x; DELETE FROM profiles' ; -- done\n ;":                       2,
		"WITH p AS (SELECT * FROM profiles) SELECT upper(email) AS e FROM p":                                 2,
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5) SELECT i AS email FROM n": 5,
		"VALUES ('x'), ('y')": 2,
		`SELECT "email" FROM [profiles] WHERE note = 'a;b' /* ; */`: 1,
	} {
		_, rows, err := readAll(t, "sqlite:"+p, Options{Query: q})
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if len(rows) != want {
			t.Errorf("%s: %d rows, want %d", q, len(rows), want)
		}
	}
	src, err := Open(context.Background(), "sqlite:"+p, "SELECT * FROM nope")
	if err == nil {
		_ = src.Close()
		t.Fatal("no error for a missing table")
	}
}

// FuzzCheckReadQuery: the statement check never panics, and what it accepts starts with
// SELECT, WITH or VALUES and has nothing but comments after a top-level ';'.
func FuzzCheckReadQuery(f *testing.F) {
	for _, s := range []string{"SELECT 1", "select 1;", "WITH a AS (SELECT ';') SELECT * FROM a", "VALUES (1); DROP TABLE x",
		"SELECT 'unterminated", "SELECT [x", "/* c */ SELECT 1 -- ;", "SELECT \"a;\" FROM t; ", "PRAGMA x", ";", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if err := checkReadQuery(Pos{}, q); err != nil {
			if !err.InQuery || err.Hint == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		w, _, _ := firstKeyword(q)
		switch strings.ToUpper(w) {
		case "SELECT", "WITH", "VALUES":
		default:
			t.Fatalf("accepted %q starting with %q", q, w)
		}
	})
}
