package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"p.csv", "p.jsonl", "p.db", "p.parquet"} {
		out := filepath.Join(dir, name)
		var stdout, stderr bytes.Buffer
		err := run([]string{"-n", "250", "-seed", "3", "-invalid", "0.04", "-duplicates", "0.02", "-edit-percent", "10", "-out", out}, &stdout, &stderr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		st, err := os.Stat(out)
		if err != nil || st.Size() == 0 {
			t.Fatalf("%s: not written: %v", name, err)
		}
		msg := stderr.String()
		for _, want := range []string{"wrote 250 profiles", "10 invalid", "5 duplicates", "25 edited", "235 valid unique", "invalid email_empty"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: report %q lacks %q", name, msg, want)
			}
		}
		if strings.Contains(msg, "@example") {
			t.Errorf("report shows an email: %q", msg)
		}
	}

	var stdout, stderr bytes.Buffer
	if err := run([]string{"-n", "3", "-format", "jsonl", "-out", "-", "-q"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 3 || stderr.Len() != 0 {
		t.Errorf("stdout has %d lines, stderr %q", n, stderr.String())
	}

	stdout.Reset()
	if err := run([]string{"-n", "3", "-format", "parquet", "-out", "-", "-q"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if b := stdout.Bytes(); !bytes.HasPrefix(b, []byte("PAR1")) || !bytes.HasSuffix(b, []byte("PAR1")) {
		t.Errorf("-format parquet wrote %d bytes that are not a Parquet file", len(b))
	}

	for _, args := range [][]string{
		{"-n", "3"},                                // no -out
		{"-n", "3", "-out", "x.txt"},               // unknown format
		{"-n", "3", "-format", "xml", "-out", "x"}, // unknown format
		{"-n", "3", "-invalid", "2", "-out", filepath.Join(dir, "y.csv")},
		{"-n", "3", "-format", "sqlite", "-out", "-"},
	} {
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
