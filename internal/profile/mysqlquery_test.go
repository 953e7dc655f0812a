package profile

import (
	"strings"
	"testing"
)

func TestCheckMySQLQuery(t *testing.T) {
	ok := []string{
		"SELECT * FROM profiles",
		"  select email FROM profiles;  ",
		"SELECT email FROM profiles; -- the end",
		"WITH x AS (SELECT 1 AS a) SELECT a FROM x",
		"WITH RECURSIVE x (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x WHERE n < 3), y AS (SELECT 2) SELECT REPLACE(email, 'a', 'b'), INSERT(email, 1, 1, 'x') FROM x, y, t WHERE t.update IS NULL",
		"WITH x AS (SELECT 1 AS a) (SELECT a FROM x) UNION (SELECT 2)",
		"WITH x AS (SELECT 1 AS a) SELECT a FROM x FOR UPDATE",
		"(SELECT email FROM a) UNION (SELECT email FROM b)",
		"VALUES (1, 'a@example.com')",
		"SELECT 'INTO OUTFILE' AS note, `into` FROM t",
		"SELECT email -- INTO OUTFILE '/tmp/x'\nFROM t",
		"SELECT email # INTO OUTFILE\nFROM t",
		"SELECT /* INTO */ email FROM t WHERE note = 'it''s; fine' AND x = \"a;b\"",
		"SELECT 'a\\'b;c' AS s",
		"SELECT email FROM t FOR UPDATE",
		// One string with backslash escapes (the server's default); two statements without
		// them (NO_BACKSLASH_ESCAPES), which the server refuses itself, as it runs one
		// statement at most (see TestMySQLQueriesCannotWrite).
		"SELECT \"a\\\" ; DELETE FROM t; -- \"",
	}
	for _, q := range ok {
		if err := CheckMySQLQuery(q); err != nil {
			t.Errorf("CheckMySQLQuery(%q) = %v, want nil", q, err)
		}
	}
	refused := []struct{ query, want string }{
		{"", "holds no SQL statement"},
		{"-- nothing", "holds no SQL statement"},
		{"INSERT INTO profiles VALUES (1)", "an INSERT statement"},
		{"update profiles set a = 1", "an UPDATE statement"},
		{"DELETE FROM profiles", "a DELETE statement"},
		{"CREATE TABLE x (a int)", "a CREATE statement"},
		{"DROP TABLE profiles", "a DROP statement"},
		{"LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t", "a LOAD statement"},
		{"SET SESSION TRANSACTION READ WRITE", "a SET statement"},
		{"CALL wipe()", "a CALL statement"},
		{"DO sleep(1)", "a DO statement"},
		{"TRUNCATE profiles", "a TRUNCATE statement"},
		{"HANDLER t OPEN", "a HANDLER statement"},
		{"frobnicate", `starts with "frobnicate"`},
		{"SELECT * FROM t INTO OUTFILE '/tmp/x'", "INTO"},
		{"SELECT * INTO DUMPFILE '/tmp/x' FROM t", "INTO"},
		{"SELECT email INTO @e FROM t LIMIT 1", "INTO"},
		{"WITH x AS (SELECT 1) SELECT * FROM x into outfile '/tmp/x'", "INTO"},
		// MySQL 8 runs DML after WITH.
		{"WITH c AS (SELECT 1) DELETE FROM profiles", "leads into a DELETE statement"},
		{"with recursive c (n) as (select 1), d as (select 2) update profiles set a = 1", "leads into an UPDATE statement"},
		{"WITH c AS (SELECT 1) INSERT profiles SELECT * FROM c", "leads into an INSERT statement"},
		{"WITH c AS (SELECT 1) REPLACE profiles SELECT * FROM c", "leads into a REPLACE statement"},
		{"SELECT 1; DELETE FROM t", "more than one SQL statement"},
		{"SELECT 1;;SELECT 2", "more than one SQL statement"},
		{"SELECT 1 /*!50000 INTO OUTFILE '/tmp/x' */", "executable comment"},
		{"SELECT 1 /*M!100000 ; DELETE FROM t */", "executable comment"},
		{"SELECT 1 /* not closed", "not closed"},
		{"SELECT 'not closed", "not closed"},
		// "--" without a space after it is no comment: the server reads 1 - -x INTO ...
		{"SELECT 1 --x INTO OUTFILE '/tmp/x'", "INTO"},
		// With NO_BACKSLASH_ESCAPES the string ends at the backslash, and INTO follows.
		{"SELECT 'a\\' INTO OUTFILE '/tmp/x' -- '", "INTO"},
	}
	for _, tt := range refused {
		err := CheckMySQLQuery(tt.query)
		pe := wantError(t, err, []string{tt.want})
		if !pe.InQuery {
			t.Errorf("CheckMySQLQuery(%q): not marked as a query error", tt.query)
		}
	}
}

func TestMySQLURLChecks(t *testing.T) {
	ok := []string{
		"mysql://app@db.example.com/crm",
		"mysql://app@db.example.com:3307/crm?tls=true",
		"MySQL://app@[::1]:3306/crm?tls=skip-verify",
		"mysql://app@localhost",
	}
	for _, s := range ok {
		if k, err := CheckSpec(s); err != nil || k != KindMySQL {
			t.Errorf("CheckSpec(%q) = %q, %v; want mysql", s, k, err)
		}
	}
	refused := []struct{ spec, want string }{
		{"mysql://app:s3cret-pw@db.example.com/crm", "contains a password"},
		{"mysql://app@db.example.com/crm?password=s3cret-pw", "contains a password"},
		{"mysql://app@db.example.com/crm?Passwd=s3cret-pw", "contains a password"},
		{"mysql:///crm", "names no host"},
		{"mysql://app@db.example.com:99999/crm", "port"},
		{"mysql://app@db.example.com/crm?allowAllFiles=true", `parameter "allowAllFiles"`},
		{"mysql://app@db.example.com/crm?multiStatements=true", `parameter "multiStatements"`},
		{"mysql://app@db.example.com/crm?tls=maybe", "tls parameter must be one of"},
	}
	for _, tt := range refused {
		_, err := CheckSpec(tt.spec)
		pe := wantError(t, err, []string{tt.want}, "s3cret-pw")
		if strings.Contains(tt.want, "password") && (!strings.Contains(pe.Hint, "MYSQL_PWD") || !strings.Contains(pe.Hint, "database_password")) {
			t.Errorf("password advice %q does not name MYSQL_PWD and database_password", pe.Hint)
		}
	}
}
