package profile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes content to a file called name in a fresh temporary directory.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll opens spec and returns its columns and all rows (values copied).
func readAll(t testing.TB, spec string, opts Options) ([]Column, []Row, error) {
	t.Helper()
	src, err := OpenWith(context.Background(), spec, opts)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = src.Close() }()
	var rows []Row
	err = src.Scan(context.Background(), func(r *Row) error {
		rows = append(rows, Row{Pos: r.Pos, Values: append([]any(nil), r.Values...), Invalid: append([]InvalidValue(nil), r.Invalid...)})
		return nil
	})
	return src.Columns(), rows, err
}

// wantError checks that err is an *Error whose message holds every want and none of the
// secrets (profile values that must never appear).
func wantError(t testing.TB, err error, want []string, secrets ...string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", want)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %q is not a *profile.Error", err, err)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q reveals the value %q", msg, s)
		}
	}
	if pe.Hint == "" {
		t.Errorf("error %q has no hint saying what to do", msg)
	}
	return pe
}
