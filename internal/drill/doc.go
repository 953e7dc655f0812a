// Package drill holds the provider's reliability and security drill: end-to-end tests that
// build the provider, install it into a filesystem mirror and drive a real Terraform or
// OpenTofu CLI against the in-process SendGrid emulator.
//
// The drill covers these things:
//
//   - Faults during apply (faults_test.go): 429 storms, 5xx bursts, dropped connections, jobs
//     that stay pending past the export's timeout, jobs that fail or partly error, and the CLI
//     interrupted with SIGINT or killed with SIGKILL while an upload is in flight. After each
//     fault a plain re-apply with the faults off must converge: the list holds exactly the
//     segments, no unchanged contact is sent again, and state reports what happened. The
//     per-fault figures (runs, extra requests, extra contacts) are printed as a table and,
//     with SENDGRIDAUDIENCE_DRILL_REPORT=<file>, written to that file. Contacts sent are counted
//     from the emulator's counters (ContactsUpserted + ContactsImported) against a fault-free
//     run of the same change; a re-sent unchanged contact is detected per email by its
//     updated_at, which SendGrid (and the emulator) sets on every upsert, and which the drill
//     records after the first run and compares after the last.
//   - A failed first run (firstrun_test.go): SendGrid rejects a fifth of the rows of the run
//     that creates the export; the export must be tainted with a warning to untaint it, and
//     after `untaint` the next apply must send exactly the contacts not confirmed.
//   - Bad input (badinput_test.go): broken CSV and JSON Lines files, invalid emails, over-long
//     names, wrong custom-field types, bad SQL, an unreachable database, bad CEL, bad UUIDs,
//     wrong keys and missing scopes, each refused at plan time with a message that names the
//     attribute, the file and row and the field, and says what to do; nothing is uploaded.
//   - Secrets and personal data (secrets_test.go): after runs with TF_LOG=TRACE, neither the API
//     key, a database password nor any profile value appears in state, plans, logs or output;
//     remote_test.go does the same for a segment read from an object in an S3-compatible store
//     on loopback (internal/s3fake), with AWS credentials and a session token in the
//     environment, a wrong secret, invalid profiles and a connection cut mid-read.
//   - Hostile input (hostile_test.go): SQLite queries that try to write (VACUUM INTO, ATTACH and
//     DELETE, several statements, PRAGMA writes), CEL cost bombs, filter errors over canary
//     values (also with TF_LOG=TRACE), a CSV without a header, a file of NULs, a 100,000-column
//     header, a value over 16 MiB from a database, and hostile API servers (redirects to another
//     port or from https to http, an endless body). Each plan must fail in bounded time without
//     changing a file, leaking a value or sending the key anywhere; the table of attempts,
//     expected and observed outcomes goes to the report.
//   - Fuzz targets for the public parsers and validators not fuzzed by their own packages
//     (fuzz_test.go); their seed corpora run with plain go test.
//
// The CLI is chosen by SENDGRIDAUDIENCE_DRILL_CLI (an absolute path). Without it the CLI tests
// skip, so `go test ./...` stays fast; `make test` runs the drill under Terraform and OpenTofu:
//
//	SENDGRIDAUDIENCE_DRILL_CLI=$PWD/.tools/bin/terraform go test -count=1 -v ./internal/drill/...
//
// The load drill (load_test.go: 1,000,000 profiles against a rate-limited emulator with
// latency, reporting time and the provider's peak memory) runs only with
// SENDGRIDAUDIENCE_DRILL_LOAD=1 and belongs to `make bench`.
package drill
