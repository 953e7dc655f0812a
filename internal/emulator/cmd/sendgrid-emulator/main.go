// Command sendgrid-emulator serves the in-memory SendGrid v3 emulator of package emulator over
// HTTP, for demos and end-to-end runs. See the package documentation of internal/emulator for the
// flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "sendgrid-emulator:", err)
		os.Exit(1)
	}
}

// parseKey reads KEY[@USERID][:scope,scope...].
func parseKey(s string) (string, emulator.Key, error) {
	k := emulator.Key{UserID: 1, Scopes: emulator.DefaultScopes()}
	key := s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		key = s[:i]
		k.Scopes = nil
		for _, sc := range strings.Split(s[i+1:], ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				k.Scopes = append(k.Scopes, sc)
			}
		}
	}
	if i := strings.IndexByte(key, '@'); i >= 0 {
		uid, err := strconv.ParseInt(key[i+1:], 10, 64)
		if err != nil || uid <= 0 {
			return "", k, fmt.Errorf("-key %q: the account after @ must be a positive number", privacy.MaskValue(s))
		}
		k.UserID = uid
		key = key[:i]
	}
	if key == "" {
		return "", k, errors.New("-key: empty API key")
	}
	return key, k, nil
}

// run serves until ctx ends (main cancels it on SIGINT or SIGTERM).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sendgrid-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys, seedLists multi
	addr := fs.String("addr", "127.0.0.1:8787", "listen address (loopback)")
	fs.Var(&keys, "key", "API key as KEY[@ACCOUNT][:scope,scope...] (repeatable; default: "+emulator.TestKey+" with the default scopes)")
	fs.Var(&seedLists, "seed-list", "create a list with this name in the first key's account unless it exists, and print its ID (repeatable)")
	state := fs.String("state", "", "JSON file to load at start and save after changes and at exit")
	urlFile := fs.String("url-file", "", "write the base URL to this file once listening")
	printList := fs.String("print-list", "", "print the members of this list (from -state) and exit")
	unmask := fs.Bool("unmask", false, "with -print-list: show full email addresses (synthetic data only)")
	seed := fs.Int64("seed", 1, "seed for IDs and fault injection")
	rate := fs.Int("rate-limit", 0, "requests per window per key and endpoint (0 = unlimited)")
	window := fs.Duration("rate-window", time.Second, "rate-limit window")
	latency := fs.Duration("latency", 0, "latency added to every request")
	f5xx := fs.Float64("fault-5xx", 0, "fraction of requests answered 500/503")
	fdrop := fs.Float64("fault-drop", 0, "fraction of requests whose connection is dropped after processing")
	dropBefore := fs.Bool("drop-before", false, "drop connections before processing instead of after")
	stormEvery := fs.Int("storm-every", 0, "start a 429 storm every N requests")
	stormReq := fs.Int("storm-requests", 1, "requests answered 429 per storm")
	stormFor := fs.Duration("storm-for", 0, "storm duration (instead of -storm-requests)")
	stormReset := fs.Duration("storm-reset", time.Second, "how far ahead X-RateLimit-Reset points during a storm")
	stormMax := fs.Int("storm-max", 0, "the most storms (0 = no limit)")
	max5xx := fs.Int("max-5xx", 0, "the most injected 5xx answers (0 = no limit)")
	maxDrops := fs.Int("max-drops", 0, "the most dropped connections (0 = no limit)")
	jobDelay := fs.Duration("job-delay", 50*time.Millisecond, "how long async jobs stay pending")
	jobSlow := fs.Duration("job-slow", 0, "extra job delay")
	jobStuck := fs.Bool("job-stuck", false, "jobs never finish")
	jobFail := fs.Float64("job-fail", 0, "fraction of jobs that fail as a whole")
	jobErr := fs.Float64("job-error", 0, "fraction of rows errored in jobs")
	lag := fs.Duration("consistency-lag", 0, "how long list counts, searches and contacts exports take to show a finished job (SendGrid: minutes)")
	errorsFile := fs.String("errors-file", "", "format of jobs' errors files, which SendGrid does not document: csv-email (default), csv-rows or json")
	noField := fs.Bool("upsert-errors-without-field", false, "refuse invalid upserts with errors that name no field")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *errorsFile {
	case "", emulator.ErrorsCSVEmail, emulator.ErrorsCSVRows, emulator.ErrorsJSON:
	default:
		return fmt.Errorf("-errors-file %q: use %s, %s or %s", *errorsFile, emulator.ErrorsCSVEmail, emulator.ErrorsCSVRows, emulator.ErrorsJSON)
	}
	cfg := emulator.Config{
		Keys: map[string]emulator.Key{}, Seed: *seed, RateLimit: *rate, RateWindow: *window, JobDelay: *jobDelay, StatePath: *state,
		ConsistencyLag: *lag, ErrorsFile: *errorsFile, UpsertErrorsWithoutField: *noField,
		Faults: emulator.Faults{
			Latency: *latency, Ratio5xx: *f5xx, Max5xx: *max5xx, DropRatio: *fdrop, DropBeforeProcessing: *dropBefore, MaxDrops: *maxDrops,
			Storm429: emulator.RateStorm{Every: *stormEvery, Requests: *stormReq, For: *stormFor, Reset: *stormReset, Max: *stormMax},
			JobSlow:  *jobSlow, JobStuck: *jobStuck, JobFailRatio: *jobFail, JobErrorRatio: *jobErr,
		},
	}
	firstKey := emulator.TestKey
	if len(keys) == 0 {
		cfg.Keys[emulator.TestKey] = emulator.Key{UserID: 1, Scopes: emulator.DefaultScopes()}
	}
	for i, s := range keys {
		k, v, err := parseKey(s)
		if err != nil {
			return err
		}
		if i == 0 {
			firstKey = k
		}
		cfg.Keys[k] = v
	}
	if *printList != "" {
		if *state == "" {
			return errors.New("-print-list needs -state (the emulator's saved account)")
		}
		cfg.StateReadOnly = true
		return printMembers(cfg, firstKey, *printList, *unmask, stdout)
	}

	e := emulator.New(cfg)
	if err := e.LoadError(); err != nil {
		return err
	}
	existing := e.ListIDs(firstKey)
	for _, name := range seedLists {
		id := ""
		for lid, n := range existing {
			if n == name {
				id = lid
			}
		}
		if id == "" {
			id = e.SeedList(firstKey, name)
		}
		fmt.Fprintf(stdout, "list %q id=%s\n", name, id)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		fmt.Fprintf(stderr, "sendgrid-emulator: warning: listening on %s, which is not a loopback address\n", ta)
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "sendgrid-emulator listening on %s\n", url)
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(url+"\n"), 0o600); err != nil {
			_ = ln.Close()
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = e.Close()
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "sendgrid-emulator shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if err := e.Close(); err != nil {
		return err
	}
	if shutErr != nil && !errors.Is(shutErr, context.DeadlineExceeded) {
		return shutErr
	}
	return nil
}

func printMembers(cfg emulator.Config, key, listID string, unmask bool, out io.Writer) error {
	e := emulator.New(cfg)
	defer func() { _ = e.Close() }()
	if err := e.LoadError(); err != nil {
		return err
	}
	name, count, ok := e.ListInfo(key, listID)
	if !ok {
		return fmt.Errorf("list %s not found in %s", listID, cfg.StatePath)
	}
	members := e.ListMembers(key, listID)
	sort.Strings(members)
	fmt.Fprintf(out, "list %q (%s): %d contacts\n", name, listID, count)
	for _, m := range members {
		if !unmask {
			m = privacy.MaskEmail(m)
		}
		fmt.Fprintln(out, "  "+m)
	}
	return nil
}
