// Package emulator is an in-memory stand-in for the Twilio SendGrid v3 API endpoints that an
// audience export uses, with SendGrid's documented behaviour and limits, rate limiting, and
// deterministic fault injection. It is an http.Handler: tests serve it in-process with
// NewTestServer; demos and end-to-end runs use the sendgrid-emulator command.
//
// # Endpoints
//
//	GET    /v3/scopes                                   any valid key
//	GET    /v3/user/username | /v3/user/account | /v3/user/profile
//	                                                    user.username.read | user.account.read | user.profile.read
//	POST   /v3/marketing/lists                          marketing.read (201; name 1–100 chars, unique; ≤1000 lists)
//	GET    /v3/marketing/lists?page_size=&page_token=   marketing.read (page_size 1–1000, _metadata.next)
//	GET    /v3/marketing/lists/{id}                     marketing.read
//	PATCH  /v3/marketing/lists/{id}                     marketing.read
//	DELETE /v3/marketing/lists/{id}?delete_contacts=    marketing.read (204, or 200 {job_id} when deleting contacts)
//	DELETE /v3/marketing/lists/{id}/contacts?contact_ids=a,b
//	                                                    marketing.read (202 {job_id}; applied when the job runs;
//	                                                    404 when the list or one contact ID does not exist)
//	GET    /v3/marketing/lists/{id}/contacts/count      marketing.read
//	GET    /v3/marketing/field_definitions              marketing.read (custom + SendGrid's reserved fields)
//	POST   /v3/marketing/field_definitions              marketing.read (≤500; names A–Z a–z 0–9 _, starting
//	                                                    with a letter or _, unique ignoring case; Text|Number|Date)
//	PATCH  /v3/marketing/field_definitions/{id}         marketing.read
//	DELETE /v3/marketing/field_definitions/{id}         marketing.read
//	PUT    /v3/marketing/contacts                       marketing.read (202 {job_id}; ≤30,000 contacts (400) and
//	                                                    ≤6,000,000 bytes (413); emails validated and lower-cased;
//	                                                    email 254, first/last name 50, city 60, country 50,
//	                                                    state_province_region 50, address lines 100 characters;
//	                                                    postal_code has no documented maximum; list IDs and
//	                                                    custom field IDs must exist; phone_number_id in E.164,
//	                                                    external_id and anonymous_id 254; updating a contact
//	                                                    needs all of its existing identifiers (400 naming
//	                                                    contacts[i].<identifier>; in CSV imports a row error))
//	GET    /v3/marketing/contacts/count                 marketing.read
//	POST   /v3/marketing/contacts/search/emails         marketing.read (≤100 emails of ≤100 characters, one
//	                                                    invalid fails the call; 404 when none is found)
//	PUT    /v3/marketing/contacts/imports               marketing.read (CSV import: upload_uri + upload_headers)
//	GET    /v3/marketing/contacts/imports/{id}          marketing.read (job status of upserts, imports and
//	                                                    contact deletions; 404 for list-membership removals)
//	POST   /v3/marketing/contacts/exports               marketing.read (202 {id})
//	GET    /v3/marketing/contacts/exports               marketing.read (every export job, oldest first)
//	GET    /v3/marketing/contacts/exports/{id}          marketing.read (pending → ready with urls | failure)
//
// Every /v3/marketing/ endpoint needs marketing.read, the only scope SendGrid's permission lists
// name for the Marketing Campaigns API (which scope guards which endpoint is not documented:
// an assumption). Keys are sent as "Authorization: Bearer KEY". A request without a key gets 401
// {"errors":[{"field":null,"message":"authorization required"}]}, an unknown key 401 "The provided
// authorization grant is invalid, expired, or revoked"; a key without the endpoint's scope gets
// 403 whose message is only "access forbidden" (it names no scope, as SendGrid's does not). Every
// response carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (Unix seconds);
// over the limit (per key and endpoint per window) the answer is 429 {"errors":[{"field":null,
// "message":"too many requests"}]}. Error bodies are {"errors":[{"field":…,"message":…}]}.
//
// Accounts belong to a key's UserID (several keys may share one). Contacts are keyed by
// lower-cased email. Upserts, imports and removals are async jobs: pending for Config.JobDelay,
// then applied in creation order and reported as completed, errored (some rows failed: custom
// field value of the wrong type, more than 250 lists, injected row errors) or failed (every row,
// or an injected job failure). A job's errors_url serves, as Config.ErrorsFile chooses (SendGrid
// documents no format), CSV "email,message" (default), CSV "row,message" or JSON. A rejected upsert
// names each refused contact as contacts[i].<field>, or (Config.UpsertErrorsWithoutField) names
// none. With Config.ConsistencyLag list contact counts show a job's changes only that long after
// it ran, and a contact a job created is found by search and appears in contacts exports only
// that long after, as SendGrid's reads do minutes later.
//
// The emulator also serves, under /_emulator/, what SendGrid serves from presigned storage URLs:
// the CSV upload target of an import (PUT, plain or gzip; authorised by the token in the URL,
// a repeated upload is accepted and ignored), errors files, and export files (gzip-compressed CSV
// with EMAIL, FIRST_NAME, LAST_NAME, CITY, STATE_PROVINCE_REGION, POSTAL_CODE, COUNTRY,
// CONTACT_ID, LIST_IDS, CREATED_AT, UPDATED_AT and one column per custom field by name; or JSON
// lines). Like presigned URLs they refuse an Authorization header, and the upload requires exactly
// the upload_headers (UploadHeaders) and refuses other x-amz-* headers, with storage-style XML
// errors. GET /_emulator/lists/{id}/members (bearer key) shows a list's members, masked unless
// ?unmask=1 (a debug view, not a SendGrid URL).
//
// # Rules
//
// Every behaviour that differs from a naive server is one rule, with its source at the code that
// applies it ("spec:" is a path in SendGrid's OpenAPI files, ../shared/sendgrid-oai; otherwise a
// public page). Where SendGrid documents nothing, the emulator takes the stricter, slower or
// vaguer reading and says "assumption:".
//
//	endpoint                          rule                                               source
//	any /v3 endpoint                  401 "authorization required" without a key; 401    sendgrid-nodejs#1152; sendgrid-csharp#185
//	                                  "…grant is invalid, expired, or revoked" for an
//	                                  unknown key
//	any scoped endpoint               403 "access forbidden", naming no scope            sendgrid-nodejs#1075, sendgrid-csharp#871
//	any /v3 endpoint                  X-RateLimit-* headers; 429 "too many requests"     SendGrid "Rate limits" page
//	POST /v3/marketing/lists          name 1–100 characters                              spec: POST /v3/marketing/lists name
//	POST|PATCH lists                  names unique per account                           assumption
//	POST /v3/marketing/lists          at most 1,000 lists                                SendGrid "Create and manage contacts"
//	GET /v3/marketing/lists           page_size 1–1000, opaque page_token                spec: GET /v3/marketing/lists page_size
//	DELETE /v3/marketing/lists/{id}   delete_contacts must be a boolean (400)            assumption (spec: parameter type)
//	field_definitions                 ≤500; names A–Z 0–9 _, start letter or _, ≤100,    spec: tsg_mc_custom_fields_v3.json
//	                                  unique ignoring case; reserved names refused
//	PUT /v3/marketing/contacts        ≤30,000 contacts (400), ≤6,000,000 bytes (413)     spec: PUT /v3/marketing/contacts (assumption:
//	                                                                                     413, decimal MB)
//	PUT /v3/marketing/contacts        reserved field lengths (email 254, names 50, …)    spec: components.schemas.ContactRequest
//	PUT /v3/marketing/contacts        202 + job; applied when the job runs               spec: PUT /v3/marketing/contacts description
//	PUT /v3/marketing/contacts        a contact on at most 250 lists (row error)         assumption (reported by users)
//	search/emails                     ≤100 emails; 404 when none is found                spec: POST …/search/emails
//	PUT /v3/marketing/contacts/imports upload_headers x-amz-server-side-encryption:     sendgrid-php#1084, sendgrid-java#692
//	                                  aws:kms; ≤1,000,000 rows (job fails)               spec: PUT …/contacts/imports
//	GET …/contacts/imports/{id}       statuses pending|completed|errored|failed         spec: GET …/contacts/imports/{id}
//	GET …/contacts/imports/{id}       job_type upsert_contacts (upserts, imports),       recorded response (AgentWorkers/skills
//	                                  delete (deletions)                                 byungkyu/sendgrid); spec: ContactImport
//	POST|GET …/contacts/exports       pending → ready with urls | failure                spec: tsg_mc_contacts_v3.json exports
//	PUT /_emulator/uploads/{id}       exactly the upload headers; no other x-amz-*       sendgrid-php#1084; S3 "headers … not
//	                                                                                     signed" (insomnium#167)
//	/_emulator/ uploads and files     an Authorization header is refused (400)           S3 "Only one auth mechanism allowed"
//	                                                                                     (request#860)
//	errors files                      CSV "email,message"                                assumption (format undocumented:
//	                                                                                     spec ContactImport.results.errors_url)
//	lists, search/emails, exports     Config.ConsistencyLag: counts, searches and        spec: PUT /v3/marketing/contacts
//	                                  exports show a job's contacts only after the lag   ("asynchronous process"); assumption:
//	                                                                                     which reads lag, and how long
//
// # Faults
//
// Config.Faults (or SetFaults) adds latency, 429 storms (every N requests, for a number of
// requests or a duration, with X-RateLimit-Reset ahead), a ratio of 500/503 answers, a ratio of
// dropped connections (hijacked and closed, after processing by default: the ambiguous case),
// and slow, stuck, failing or partly-errored jobs. Random choices come from a generator seeded
// with Config.Seed, as do IDs. Counters report requests per endpoint, statuses, 429s served,
// injected faults, contacts received per upsert and per import, and job outcomes.
//
// # The sendgrid-emulator command
//
//	go run ./internal/emulator/cmd/sendgrid-emulator [flags]
//
//	-addr 127.0.0.1:8787        listen address (use loopback)
//	-key KEY[@ACCOUNT][:s1,s2]  API key, its account number (default 1) and scopes (default: the
//	                            scopes an export needs plus marketing.automation.read and user.profile.read,
//	                            as SendGrid grants them for Marketing and User Account); repeatable. With no
//	                            -key the key is SG.emulator-test-key.
//	-seed-list NAME             create the list in the first key's account unless one of that name
//	                            exists; prints `list "NAME" id=ID`; repeatable
//	-state FILE                 load at start, save (debounced, at most once a second) after
//	                            changes and at exit, so separate terraform runs see the same account
//	-url-file FILE              write the base URL (useful with -addr 127.0.0.1:0)
//	-print-list LISTID          with -state: print the list's name, count and members (masked;
//	                            -unmask shows addresses, for synthetic data) and exit
//	-seed N                     seed for IDs and faults (default 1)
//	-rate-limit N -rate-window D
//	-latency D -fault-5xx R -max-5xx N -fault-drop R -drop-before -max-drops N
//	-storm-every N -storm-requests N -storm-for D -storm-reset D -storm-max N
//	-job-delay D -job-slow D -job-stuck -job-fail R -job-error R
//
// It prints "sendgrid-emulator listening on http://ADDR" and stops gracefully on SIGINT or
// SIGTERM (in-flight requests finish, the state file is written).
package emulator
