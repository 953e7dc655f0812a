package emulator

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// upsertContact is one validated contact of an upsert or import, applied when its job runs.
type upsertContact struct {
	email  string
	vals   [nFields]string
	set    uint16 // bit i: vals[i] was given
	custom customVals
	err    string // row error found while reading (CSV imports)
}

// ValidEmail is the emulator's email check: one @, a local part of at most 64 characters from
// the RFC 5322 atom set (dots not leading, trailing or doubled), a domain of at least two labels
// of letters, digits and hyphens (not leading or trailing), a top-level label of letters, and
// at most 254 characters in all. Case does not matter.
// assumption: SendGrid publishes no address grammar; this is RFC 5321/5322's common subset (spec: ContactRequest email.maxLength 254)
func ValidEmail(s string) bool {
	if len(s) < 3 || len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > 64 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if isAlnum(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~.-", c) >= 0 {
			continue
		}
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if (tld[i] < 'a' || tld[i] > 'z') && (tld[i] < 'A' || tld[i] > 'Z') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lower lower-cases an email as SendGrid stores it.
// spec: POST /v3/marketing/contacts/search/emails description ("the email addresses in the result will be all lower case")
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

type errList struct {
	items []errItem
	max   int
}

func (l *errList) add(field, msg string) {
	if len(l.items) < l.max {
		l.items = append(l.items, fieldErr(field, msg))
	}
}

func (e *Emulator) hUpsert(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	if r.ContentLength > MaxUpsertBytes { // assumption: over 6 MB is 413 (spec: PUT /v3/marketing/contacts description names the limit, not the status)
		writeErrors(w, http.StatusRequestEntityTooLarge, fieldErr("", fmt.Sprintf("request body is larger than the 6 MB limit (%d bytes)", MaxUpsertBytes)))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxUpsertBytes+1))
	if err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "could not read the request body"))
		return
	}
	if len(body) > MaxUpsertBytes {
		writeErrors(w, http.StatusRequestEntityTooLarge, fieldErr("", fmt.Sprintf("request body is larger than the 6 MB limit (%d bytes)", MaxUpsertBytes)))
		return
	}
	in, err := decodeUpsert(body)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "request body is not valid JSON: "+jsonErrMsg(err)))
		return
	}
	if len(in.contacts) == 0 { // spec: PUT /v3/marketing/contacts contacts.minItems 1, required
		writeErrors(w, http.StatusBadRequest, fieldErr("contacts", "at least one contact is required"))
		return
	}
	if len(in.contacts) > MaxUpsertContacts { // spec: PUT /v3/marketing/contacts contacts.maxItems; 400 with validation errors
		writeErrors(w, http.StatusBadRequest, fieldErr("contacts", fmt.Sprintf("a request may upsert at most %d contacts, this one has %d", MaxUpsertContacts, len(in.contacts))))
		return
	}
	a := ri.acct
	errs := errList{max: 100}
	a.mu.Lock()
	for i, id := range in.listIDs {
		if _, ok := a.lists[id]; !ok {
			errs.add(fmt.Sprintf("list_ids[%d]", i), "list ID does not exist")
		}
	}
	fieldTypes := make(map[string]string, len(a.fields))
	for id, f := range a.fields {
		fieldTypes[id] = f.typ
	}
	a.mu.Unlock()
	if len(in.listIDs) > MaxListsPerContact {
		errs.add("list_ids", fmt.Sprintf("a contact can be on at most %d lists", MaxListsPerContact))
	}

	out := make([]upsertContact, len(in.contacts))
	for i := range in.contacts {
		c := &in.contacts[i]
		p := func() string { return "contacts[" + strconv.Itoa(i) + "]" }
		uc := &out[i]
		if !c.present(rEmail) || c.vals[rEmail] == "" {
			if c.present(rExternal) || c.present(rAnonymous) || c.present(rPhone) {
				errs.add(p()+".email", "this emulator identifies contacts by email only; email is required")
			} else {
				errs.add(p()+".email", "at least one identifier is required: email")
			}
			continue
		}
		em := c.vals[rEmail]
		if utf8.RuneCountInString(em) > 254 {
			errs.add(p()+".email", "email must be at most 254 characters")
			continue
		}
		if !ValidEmail(em) {
			errs.add(p()+".email", "email is not a valid email address")
			continue
		}
		uc.email = lower(em)
		for k := 0; k < nFields; k++ {
			slot := storedRaw[k]
			if !c.present(slot) {
				continue
			}
			v := c.vals[slot]
			if m := storedFieldMax[k]; m > 0 && len(v) > m && utf8.RuneCountInString(v) > m {
				errs.add(p()+"."+storedFieldNames[k], fmt.Sprintf("%s must be at most %d characters", storedFieldNames[k], m))
				continue
			}
			uc.vals[k] = v
			uc.set |= 1 << k
		}
		for _, slot := range []int{rAddr1, rAddr2} {
			if c.present(slot) && utf8.RuneCountInString(c.vals[slot]) > 100 {
				errs.add(p()+"."+rawNames[slot], rawNames[slot]+" must be at most 100 characters")
			}
		}
		if c.present(rPhone) && c.vals[rPhone] != "" && !validPhoneNumberID(c.vals[rPhone]) {
			errs.add(p()+".phone_number_id", "phone_number_id must be a valid phone number")
		}
		if c.nAlt > 5 {
			errs.add(p()+".alternate_emails", "at most 5 alternate emails are allowed")
		}
		if len(c.custom) > 0 {
			for _, cv := range c.custom {
				id := cv.id
				if _, ok := fieldTypes[id]; !ok {
					if _, rf := reservedByID(id); rf {
						errs.add(p()+".custom_fields."+id, "reserved fields are set by name, not in custom_fields")
					} else {
						errs.add(p()+".custom_fields."+id, "custom field ID does not exist")
					}
				}
			}
			uc.custom = c.custom
		}
	}
	identifierErrors(a, out, &errs)
	if len(errs.items) > 0 {
		// Source: spec PUT /v3/marketing/contacts description: "an HTTP 4XX error containing
		// validation errors" for the request; nothing of it is applied. The field reference
		// format (contacts[i].email) is an assumption; Config.UpsertErrorsWithoutField drops it.
		e.writeUpsertErrors(w, errs.items)
		return
	}
	e.count(func(c *Counters) {
		c.UpsertRequests++
		c.UpsertSizes = append(c.UpsertSizes, len(out))
		c.ContactsUpserted += int64(len(out))
	})
	j := e.newJob(jobUpsert)
	j.upsert = [][]upsertContact{out}
	j.listIDs = in.listIDs
	j.requested = int64(len(out))
	e.schedule(a, j, true)
	writeJSON(w, http.StatusAccepted, map[string]string{"job_id": j.id})
}

// identifierErrors applies the identifier rule (missingIdentifier) to the contacts of a JSON
// upsert as request validation: SendGrid answers an upsert with 202 or "an HTTP 4XX error
// containing validation errors" (spec PUT /v3/marketing/contacts) and does not say which of the
// two a missing identifier gets; the emulator assumes the stricter, a 400 for the request. The
// rule is applied again when the job runs (applyContact).
func identifierErrors(a *account, out []upsertContact, errs *errList) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range out {
		if out[i].email == "" {
			continue
		}
		if f, msg := missingIdentifier(a.contacts[out[i].email], &out[i]); msg != "" {
			errs.add("contacts["+strconv.Itoa(i)+"]."+f, msg)
		}
	}
}

// writeUpsertErrors answers 400 with the validation errors; with Config.UpsertErrorsWithoutField
// the field is left out (ContactsError.field is an optional string, not nullable).
func (e *Emulator) writeUpsertErrors(w http.ResponseWriter, items []errItem) {
	if !e.cfg.UpsertErrorsWithoutField {
		writeErrors(w, http.StatusBadRequest, items...)
		return
	}
	msgs := make([]map[string]string, len(items))
	for i, it := range items {
		msgs[i] = map[string]string{"message": it.Message}
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{"errors": msgs})
}

func jsonErrMsg(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Values of job_type. SendGrid's ContactImport schema lists `upsert` and `delete`, and a recorded
// status response of an upsert shows `upsert_contacts`: upsert and import jobs report the
// recorded value (a client that matched the documented one would break on it), deletions the
// documented one.
// source: https://github.com/AgentWorkers/skills/blob/main/skills/byungkyu/sendgrid/SKILL.md (recorded response); spec: tsg_mc_contacts_v3.json components.schemas.ContactImport.job_type
const (
	jobUpsert = "upsert_contacts"
	jobDelete = "delete"
	// jobRemove marks a list-membership removal; its status is not served (see hImportStatus).
	jobRemove = "remove"
)

// newJob creates a job with its fault decisions made now (deterministic for a seed).
func (e *Emulator) newJob(kind string) *job {
	f := e.currentFaults()
	now := e.clock()
	j := &job{id: e.newID(), kind: kind, created: now, status: "pending", stuck: f.JobStuck, errRatio: f.JobErrorRatio}
	j.fail = e.roll(f.JobFailRatio)
	return j
}

// schedule registers j; with start it becomes due after JobDelay (+ JobSlow).
func (e *Emulator) schedule(a *account, j *job, start bool) {
	f := e.currentFaults()
	a.mu.Lock()
	defer a.mu.Unlock()
	if start {
		j.due = j.created.Add(e.cfg.JobDelay + f.JobSlow)
	}
	a.jobs[j.id] = j
	a.pending = append(a.pending, j)
}

// process runs every due job of the account, oldest first. The caller holds a.mu.
func (e *Emulator) process(a *account, now time.Time) {
	if len(a.pending) == 0 {
		return
	}
	keep := a.pending[:0]
	changed := false
	for _, j := range a.pending {
		if j.stuck || j.due.IsZero() || now.Before(j.due) {
			keep = append(keep, j)
			continue
		}
		e.run(a, j, now)
		changed = true
	}
	for i := len(keep); i < len(a.pending); i++ {
		a.pending[i] = nil
	}
	a.pending = keep
	if changed {
		e.dirty.Store(true)
	}
}

// completeAll runs every job that is waiting only for time (used on Close and by tests).
func (e *Emulator) completeAll(a *account) {
	a.mu.Lock()
	defer a.mu.Unlock()
	keep := a.pending[:0]
	for _, j := range a.pending {
		if j.stuck || j.due.IsZero() {
			keep = append(keep, j)
			continue
		}
		e.run(a, j, e.clock())
	}
	a.pending = keep
	e.dirty.Store(true)
}

func (e *Emulator) rowErrored(j *job, idx int) bool {
	if j.errRatio <= 0 {
		return false
	}
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d/%s/%d", e.cfg.Seed, j.id, idx)
	return float64(h.Sum64()%1_000_000)/1_000_000 < j.errRatio
}

func (e *Emulator) run(a *account, j *job, now time.Time) {
	j.started = j.created
	j.finished = now
	if j.fail {
		j.errored = j.requested
		j.status = "failed"
		for _, batch := range j.upsert {
			for _, uc := range batch {
				j.errs = append(j.errs, jobError{Email: uc.email, Message: "the job failed as a whole (injected fault); nothing was applied"})
			}
		}
		if len(j.errs) == 0 { // a removal, or an import of an empty file
			j.errs = append(j.errs, jobError{Message: "the job failed as a whole (injected fault); nothing was applied"})
		}
		e.finishJob(j)
		return
	}
	if e.cfg.ConsistencyLag > 0 {
		before := a.listCounts()
		defer a.noteLag(before, now)
	}
	switch {
	case j.upsert != nil:
		e.applyUpsert(a, j, now)
	case j.removeList != "":
		if l := a.lists[j.removeList]; l != nil {
			for _, id := range j.removeIDs {
				if c := a.byID[id]; c != nil && a.removeFromList(c, l.id) {
					j.deleted++
				}
			}
		}
	case j.deleteContacts != nil:
		for _, em := range j.deleteContacts {
			if c := a.contacts[em]; c != nil {
				a.deleteContact(c)
				j.deleted++
			}
		}
	}
	j.upsert = nil
	j.removeIDs = nil
	j.deleteContacts = nil
	e.finishJob(j)
}

func (e *Emulator) finishJob(j *job) {
	switch {
	case j.status == "failed":
	case j.errored == 0:
		j.status = "completed"
	case j.errored >= j.requested:
		j.status = "failed"
	default:
		j.status = "errored"
	}
	if len(j.errs) > 0 {
		j.errToken = e.newToken()
	}
	e.count(func(c *Counters) {
		switch j.status {
		case "completed":
			c.JobsCompleted++
		case "errored":
			c.JobsErrored++
		case "failed":
			c.JobsFailed++
		}
	})
}

func (e *Emulator) applyUpsert(a *account, j *job, now time.Time) {
	var lists []*list
	for _, id := range j.listIDs {
		if l := a.lists[id]; l != nil {
			lists = append(lists, l)
		}
	}
	ts := now.Unix()
	a.reserve(int(j.requested))
	idx := -1
	var custom customVals // the converted values of one contact
	for _, batch := range j.upsert {
		for k := range batch {
			idx++
			e.applyContact(a, j, lists, &batch[k], idx, ts, &custom)
		}
	}
}

// applyContact applies one contact of an upsert job; custom is scratch space.
func (e *Emulator) applyContact(a *account, j *job, lists []*list, uc *upsertContact, idx int, ts int64, custom *customVals) {
	fail := func(msg string) {
		j.errored++
		j.errs = append(j.errs, jobError{Email: uc.email, Message: msg, Row: idx + 1})
	}
	if uc.err != "" {
		fail(uc.err)
		return
	}
	if e.rowErrored(j, idx) {
		fail("the contact could not be processed (injected fault)")
		return
	}
	*custom = (*custom)[:0]
	for _, in := range uc.custom {
		f := a.fields[in.id]
		if f == nil {
			fail("custom field " + in.id + " does not exist")
			return
		}
		cv, msg := convertCustom(f.typ, in.v)
		if msg != "" {
			fail("custom field " + f.name + " (" + in.id + "): " + msg)
			return
		}
		*custom = append(*custom, customVal{f.id, cv})
	}
	c := a.contacts[uc.email]
	if _, msg := missingIdentifier(c, uc); msg != "" {
		fail(msg)
		return
	}
	newLists := 0
	for _, l := range lists {
		if c == nil || !c.onList(l.id) {
			newLists++
		}
	}
	have := 0
	if c != nil {
		have = len(c.lists)
	}
	if have+newLists > MaxListsPerContact {
		fail(fmt.Sprintf("a contact can be on at most %d lists", MaxListsPerContact))
		return
	}
	if c == nil {
		c = a.newContact()
		*c = contact{email: uc.email, created: ts}
		if lag := e.cfg.ConsistencyLag; lag > 0 {
			c.visibleAt = time.Unix(ts, 0).Add(lag).UnixNano()
		}
		e.addContact(a, c)
		j.createdN++
	} else {
		j.updated++
	}
	c.updated = ts
	for k := 0; k < nFields; k++ {
		if uc.set&(1<<k) != 0 {
			c.fields[k] = uc.vals[k]
		}
	}
	if c.custom == nil && len(*custom) > 0 {
		c.custom = make(customVals, 0, len(*custom))
	}
	for _, cv := range *custom {
		if s, ok := cv.v.(string); ok && s == "" {
			c.custom.del(cv.id)
			continue
		}
		c.custom.set(cv.id, cv.v)
	}
	for _, l := range lists {
		a.addToList(c, l)
	}
}

// addContact indexes a new contact by email and by a new random ID. An ID can be taken: after
// a restart from saved state with the same seed the ID sequence repeats. The caller holds a.mu.
func (e *Emulator) addContact(a *account, c *contact) {
	for {
		c.id = e.newRaw()
		if _, taken := a.byID[c.id]; !taken {
			break
		}
	}
	a.byID[c.id] = c
	a.contacts[c.email] = c
}

var dateLayouts = []string{"01/02/2006", "2006-01-02", time.RFC3339, "2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000Z"}

// convertCustom checks a custom field value against the field's type and returns the value to
// store (Number as float64) or a message.
func convertCustom(typ string, v any) (any, string) {
	switch typ {
	case "Number":
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return nil, "expected a number"
			}
			return f, ""
		case float64:
			return x, ""
		case string:
			if x == "" {
				return "", ""
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, "expected a number"
			}
			return f, ""
		default:
			return nil, "expected a number"
		}
	case "Date":
		s, ok := v.(string)
		if !ok {
			return nil, "expected a date string (MM/DD/YYYY or ISO 8601)"
		}
		if s == "" {
			return "", ""
		}
		for _, l := range dateLayouts {
			if _, err := time.Parse(l, s); err == nil {
				return v, "" // v rather than s: no new interface value to allocate
			}
		}
		return nil, "expected a date (MM/DD/YYYY or ISO 8601)"
	default: // Text
		s, ok := v.(string)
		if !ok {
			return nil, "expected a string"
		}
		if utf8.RuneCountInString(s) > 1000 {
			return nil, "text values may have at most 1000 characters"
		}
		return v, ""
	}
}

// ---- job status and errors file ----

func (e *Emulator) hImportStatus(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	a := ri.acct
	id := r.PathValue("id")
	a.mu.Lock()
	e.process(a, e.clock())
	j := a.jobs[id]
	if j == nil {
		a.mu.Unlock()
		writeErrors(w, http.StatusNotFound, fieldErr("id", "job not found"))
		return
	}
	results := map[string]any{
		"requested_count": j.requested,
		"created_count":   j.createdN,
		"updated_count":   j.updated,
		"deleted_count":   j.deleted,
		"errored_count":   j.errored,
	}
	if j.errToken != "" {
		results["errors_url"] = ri.base + "/_emulator/errors/" + j.id + "?token=" + j.errToken
	}
	if j.removeList != "" {
		// Assumption: the spec documents this endpoint for the jobs of imports, upserts and
		// contact deletions only ("Import Contacts Status"), not for list-membership removals.
		a.mu.Unlock()
		writeErrors(w, http.StatusNotFound, fieldErr("id", "job not found"))
		return
	}
	resp := map[string]any{
		"id":         j.id,
		"status":     j.status,
		"job_type":   j.kind, // clients must not depend on it: see jobUpsert
		"results":    results,
		"started_at": isoTime(j.created),
	}
	if !j.finished.IsZero() {
		resp["finished_at"] = isoTime(j.finished)
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// hErrorsFile serves a job's errors file, the stand-in for the URL in results.errors_url (spec:
// tsg_mc_contacts_v3.json ContactImport.results.errors_url). Assumption: like SendGrid's other
// file URLs it is a presigned storage URL, so it is fetched without the API key and its token
// is the only credential (a wrong token: 403, as a storage service answers).
func (e *Emulator) hErrorsFile(w http.ResponseWriter, r *http.Request) {
	if refuseStorageAuth(w, r) {
		return
	}
	id, tok := r.PathValue("id"), r.URL.Query().Get("token")
	j, a := e.findJob(id)
	if j == nil || tok == "" {
		writeErrors(w, http.StatusNotFound, nullErr("not found"))
		return
	}
	a.mu.Lock()
	if j.errToken != tok {
		a.mu.Unlock()
		writeErrors(w, http.StatusForbidden, nullErr("invalid token"))
		return
	}
	buf, ctype := e.errorsFile(j.errs)
	a.mu.Unlock()
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// errorsFile renders a job's errors in the format Config.ErrorsFile selects. SendGrid does
// not document the format (spec: ContactImport.results.errors_url); each is an assumption.
func (e *Emulator) errorsFile(errs []jobError) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	if e.cfg.ErrorsFile == ErrorsJSON {
		type row struct {
			Email   string `json:"email,omitempty"`
			Message string `json:"message"`
		}
		rows := make([]row, len(errs))
		for i, je := range errs {
			rows[i] = row{je.Email, je.Message}
		}
		_ = json.NewEncoder(&buf).Encode(map[string]any{"errors": rows})
		return &buf, "application/json"
	}
	cw := csv.NewWriter(&buf)
	if e.cfg.ErrorsFile == ErrorsCSVRows {
		_ = cw.Write([]string{"row", "message"})
		for _, je := range errs {
			_ = cw.Write([]string{strconv.Itoa(je.Row), je.Message})
		}
	} else {
		_ = cw.Write([]string{"email", "message"})
		for _, je := range errs {
			_ = cw.Write([]string{je.Email, je.Message})
		}
	}
	cw.Flush()
	return &buf, "text/csv"
}

func (e *Emulator) findJob(id string) (*job, *account) {
	accts := e.allAccounts()
	for _, a := range accts {
		a.mu.Lock()
		j := a.jobs[id]
		a.mu.Unlock()
		if j != nil {
			return j, a
		}
	}
	return nil, nil
}

// ---- counts and search ----

func (e *Emulator) hContactCount(w http.ResponseWriter, r *http.Request) {
	a := info(r).acct
	a.mu.Lock()
	e.process(a, e.clock())
	n := int64(len(a.contacts))
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"contact_count": n, "billable_count": n})
}

func (e *Emulator) contactJSON(a *account, c *contact, base string) map[string]any {
	lists := append([]string{}, c.lists...)
	sort.Strings(lists)
	id := formatUUID(c.id)
	return map[string]any{
		"id":                    id,
		"email":                 c.email,
		"first_name":            c.fields[fFirst],
		"last_name":             c.fields[fLast],
		"country":               c.fields[fCountry],
		"state_province_region": c.fields[fState],
		"city":                  c.fields[fCity],
		"postal_code":           c.fields[fPostal],
		"address_line_1":        "",
		"address_line_2":        "",
		"alternate_emails":      []string{},
		"list_ids":              lists,
		"segment_ids":           []string{},
		"custom_fields":         customByName(a, c),
		"created_at":            isoTime(time.Unix(c.created, 0)),
		"updated_at":            isoTime(time.Unix(c.updated, 0)),
		"_metadata":             map[string]string{"self": base + "/v3/marketing/contacts/" + id},
	}
}

func (e *Emulator) hSearchEmails(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var in struct {
		Emails []string `json:"emails"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "request body is not valid JSON"))
		return
	}
	if in.Emails == nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("emails", "emails is required"))
		return
	}
	if len(in.Emails) > MaxSearchEmails {
		writeErrors(w, http.StatusBadRequest, fieldErr("emails", fmt.Sprintf("at most %d emails may be searched at once", MaxSearchEmails)))
		return
	}
	for i, em := range in.Emails {
		// Source: spec POST /v3/marketing/contacts/search/emails, emails.items maxLength 100; one
		// invalid address fails the whole call (its 400 description).
		if utf8.RuneCountInString(em) > MaxSearchEmailLength {
			writeErrors(w, http.StatusBadRequest, fieldErr(fmt.Sprintf("emails[%d]", i), fmt.Sprintf("email must be at most %d characters", MaxSearchEmailLength)))
			return
		}
		if em != "" && !ValidEmail(em) {
			writeErrors(w, http.StatusBadRequest, fieldErr(fmt.Sprintf("emails[%d]", i), "email is not a valid email address"))
			return
		}
	}
	a := ri.acct
	result := map[string]any{}
	found := 0
	a.mu.Lock()
	now := e.clock()
	e.process(a, now)
	for _, em := range in.Emails {
		if em == "" {
			continue
		}
		key := lower(em)
		// A contact created less than Config.ConsistencyLag ago is not found yet.
		if c := a.contacts[key]; c != nil && c.visible(now) {
			result[key] = map[string]any{"contact": e.contactJSON(a, c, ri.base)}
			found++
		} else {
			result[key] = map[string]any{"error": "contact not found"}
		}
	}
	a.mu.Unlock()
	if found == 0 {
		// spec: POST /v3/marketing/contacts/search/emails description ("returns a 404 status code when no contacts are found")
		writeErrors(w, http.StatusNotFound, fieldErr("emails", "no contacts found"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": result})
}
