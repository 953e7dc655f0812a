// Command synthprofiles writes a synthetic profile data set (see internal/synth) as CSV,
// JSON Lines, SQLite or Parquet, for demos, tests and benchmarks.
//
//	go run ./internal/synth/cmd/synthprofiles -n 100000 -out profiles.csv
//	go run ./internal/synth/cmd/synthprofiles -n 1000 -invalid 0.02 -duplicates 0.01 -format jsonl -out -
//	go run ./internal/synth/cmd/synthprofiles -n 100000 -edit-percent 5 -edit-seed 2 -out profiles.db
//
// The counts of the data set (rows, invalid rows by kind, duplicates, edited rows) go to
// standard error; no profile is ever printed there.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "synthprofiles:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("synthprofiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000, "number of profiles")
	format := fs.String("format", "", "csv, jsonl, sqlite or parquet (default: from the -out file name)")
	out := fs.String("out", "", "output file (\"-\" for standard output, csv and jsonl only)")
	seed := fs.Int64("seed", 1, "seed: the same seed gives the same data")
	invalid := fs.Float64("invalid", 0, "fraction of invalid rows (0..1)")
	dups := fs.Float64("duplicates", 0, "fraction of rows repeating another row's email (0..1)")
	editPct := fs.Float64("edit-percent", 0, "percentage of rows changed relative to the unedited data set (0..100)")
	editSeed := fs.Int64("edit-seed", 1, "which edit: different edit seeds change different rows")
	quiet := fs.Bool("q", false, "do not print the counts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *out == "" {
		return errors.New("-out is required (a file name, or - for standard output)")
	}
	f := synth.Format(*format)
	if f == "" {
		var ok bool
		if f, ok = synth.FormatOf(*out); !ok {
			return fmt.Errorf("cannot tell the format from %q: use -format csv, jsonl, sqlite or parquet", *out)
		}
	}
	switch f {
	case synth.CSV, synth.JSONL, synth.SQLite, synth.Parquet:
	default:
		return fmt.Errorf("unknown -format %q: use csv, jsonl, sqlite or parquet", f)
	}
	g, err := synth.New(synth.Options{Count: *n, Seed: *seed, InvalidFraction: *invalid, DuplicateFraction: *dups,
		EditPercent: *editPct, EditSeed: *editSeed})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	if *out == "-" {
		switch f {
		case synth.CSV:
			err = g.WriteCSV(stdout)
		case synth.JSONL:
			err = g.WriteJSONL(stdout)
		case synth.Parquet:
			err = g.WriteParquet(stdout)
		default:
			return errors.New("sqlite output needs a file name")
		}
	} else {
		err = g.WriteFile(ctx, *out, f)
	}
	if err != nil {
		return err
	}
	if !*quiet {
		st := g.Stats()
		fmt.Fprintf(stderr, "wrote %d profiles as %s to %s in %s: %d invalid, %d duplicates, %d edited, %d valid unique\n",
			st.Rows, f, *out, time.Since(start).Round(time.Millisecond), st.Invalid, st.Duplicates, st.Edited, st.ValidUnique)
		kinds := make([]string, 0, len(st.InvalidByKind))
		for k := range st.InvalidByKind {
			kinds = append(kinds, string(k))
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(stderr, "  invalid %-20s %d\n", k, st.InvalidByKind[synth.InvalidKind(k)])
		}
	}
	return nil
}
