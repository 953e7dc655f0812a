package emulator

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxImportBytes caps an uploaded CSV file in the emulator (SendGrid allows 5 GB; the emulator
// keeps files in memory).
const MaxImportBytes = 1 << 30

func (e *Emulator) hStartImport(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var in struct {
		ListIDs       []string  `json:"list_ids"`
		FileType      *string   `json:"file_type"`
		FieldMappings []*string `json:"field_mappings"`
	}
	if err := readJSON(r, &in); err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "request body is not valid JSON"))
		return
	}
	var errs []errItem
	if in.FileType == nil || *in.FileType != "csv" {
		errs = append(errs, fieldErr("file_type", "file_type must be csv"))
	}
	if len(in.FieldMappings) == 0 {
		errs = append(errs, fieldErr("field_mappings", "field_mappings must map at least one column"))
	}
	a := ri.acct
	a.mu.Lock()
	hasEmail := false
	seen := map[string]bool{}
	mappings := make([]string, len(in.FieldMappings))
	for i, m := range in.FieldMappings {
		if m == nil || *m == "" {
			continue
		}
		id := *m
		if seen[id] {
			errs = append(errs, fieldErr(fmt.Sprintf("field_mappings[%d]", i), "field "+id+" is mapped to more than one column"))
			continue
		}
		seen[id] = true
		if rf, ok := reservedByID(id); ok {
			if rf.ReadOnly {
				errs = append(errs, fieldErr(fmt.Sprintf("field_mappings[%d]", i), "reserved field "+rf.Name+" is read-only"))
				continue
			}
			if id == "_rf2_T" {
				hasEmail = true
			}
		} else if a.fields[id] == nil {
			errs = append(errs, fieldErr(fmt.Sprintf("field_mappings[%d]", i), "field ID "+id+" does not exist"))
			continue
		}
		mappings[i] = id
	}
	for i, id := range in.ListIDs {
		if a.lists[id] == nil {
			errs = append(errs, fieldErr(fmt.Sprintf("list_ids[%d]", i), "list ID does not exist"))
		}
	}
	a.mu.Unlock()
	if len(in.FieldMappings) > 0 && !hasEmail {
		errs = append(errs, fieldErr("field_mappings", "at least one identifier must be mapped: email (_rf2_T)"))
	}
	if len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	j := e.newJob(jobUpsert)
	j.importMappings = mappings
	j.listIDs = in.ListIDs
	j.uploadToken = e.newToken()
	e.schedule(a, j, false)
	writeJSON(w, http.StatusOK, map[string]any{
		"job_id":         j.id,
		"upload_uri":     ri.base + "/_emulator/uploads/" + j.id + "?token=" + j.uploadToken,
		"upload_headers": uploadHeadersJSON(), // source: UploadHeaders
	})
}

// hUpload receives the CSV file of an import (plain or gzip) and starts the job.
func (e *Emulator) hUpload(w http.ResponseWriter, r *http.Request) {
	if refuseStorageAuth(w, r) || refuseUploadHeaders(w, r) {
		return
	}
	id, tok := r.PathValue("id"), r.URL.Query().Get("token")
	j, a := e.findJob(id)
	if j == nil || tok == "" {
		writeErrors(w, http.StatusNotFound, nullErr("upload not found"))
		return
	}
	a.mu.Lock()
	okTok, done := j.uploadToken == tok, j.uploaded
	a.mu.Unlock()
	if !okTok {
		writeErrors(w, http.StatusForbidden, nullErr("invalid upload token"))
		return
	}
	if done {
		// A repeated upload of the same file (a retry) is accepted and ignored.
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		return
	}
	br := bufio.NewReaderSize(io.LimitReader(r.Body, MaxImportBytes), 64<<10)
	var body io.Reader = br
	head, _ := br.Peek(2)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") || (len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, nullErr("the file is not valid gzip"))
			return
		}
		defer func() { _ = zr.Close() }()
		body = zr
	}
	rows, n, fileErr := e.parseImport(a, j, body)
	if fileErr != "" {
		writeErrors(w, http.StatusBadRequest, nullErr(fileErr))
		return
	}
	e.count(func(c *Counters) {
		c.ImportUploads++
		c.ImportSizes = append(c.ImportSizes, n)
		c.ContactsImported += int64(n)
	})
	f := e.currentFaults()
	a.mu.Lock()
	if !j.uploaded {
		j.uploaded = true
		j.upsert = rows
		j.requested = int64(n)
		j.due = e.clock().Add(e.cfg.JobDelay + f.JobSlow)
		if n > MaxImportRows {
			j.fail = true
		}
	}
	a.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

var reservedSlot = map[string]int{"_rf0_T": fFirst, "_rf1_T": fLast, "_rf9_T": fCountry, "_rf7_T": fState, "_rf6_T": fCity, "_rf8_T": fPostal,
	"_rf24_T": fPhoneID, "_rf25_T": fExternalID, "_rf26_T": fAnonymousID}

// importBatch is how many rows of a CSV import are held in one slice: large files grow by
// batches instead of copying one ever larger slice.
const importBatch = 8192

// parseImport reads the CSV (header row first) into contacts, in batches, and counts them;
// problems with single rows become row errors of the job, a file that cannot be read at all is
// an error.
func (e *Emulator) parseImport(a *account, j *job, body io.Reader) ([][]upsertContact, int, string) {
	cr := csv.NewReader(body)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, 0, "the file is empty: a header row is required"
	}
	if err != nil {
		return nil, 0, "the file is not valid CSV: " + err.Error()
	}
	if len(head) != len(j.importMappings) {
		return nil, 0, fmt.Sprintf("the file has %d columns but field_mappings has %d entries", len(head), len(j.importMappings))
	}
	a.mu.Lock()
	types := map[string]string{}
	for _, id := range j.importMappings {
		if f := a.fields[id]; f != nil {
			types[id] = f.typ
		}
	}
	a.mu.Unlock()
	nCustom := 0 // columns mapped to custom fields
	for _, id := range j.importMappings {
		if id != "" && !strings.HasPrefix(id, "_rf") {
			nCustom++
		}
	}
	rows := [][]upsertContact{}
	n := 0
	add := func(uc upsertContact) {
		if len(rows) == 0 || len(rows[len(rows)-1]) == importBatch {
			rows = append(rows, nil) // grows by doubling up to importBatch (a power of two)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], uc)
		n++
	}
	line := 1
	for {
		rec, err := cr.Read()
		line++
		if err == io.EOF {
			return rows, n, ""
		}
		if err != nil {
			if pe, ok := err.(*csv.ParseError); ok && pe.Err == csv.ErrFieldCount {
				add(upsertContact{err: fmt.Sprintf("line %d: wrong number of columns", line)})
				continue
			}
			return nil, 0, "the file is not valid CSV: " + err.Error()
		}
		var uc upsertContact
		if len(rec) != len(j.importMappings) {
			uc.err = fmt.Sprintf("line %d: has %d columns, expected %d", line, len(rec), len(j.importMappings))
			add(uc)
			continue
		}
		for i, id := range j.importMappings {
			if id == "" {
				continue
			}
			v := rec[i]
			k, stored := reservedSlot[id]
			switch {
			case id == "_rf2_T":
				uc.email = lower(strings.TrimSpace(v))
			case stored:
				if v == "" {
					continue
				}
				if m := storedFieldMax[k]; m > 0 && utf8.RuneCountInString(v) > m && uc.err == "" {
					uc.err = fmt.Sprintf("%s must be at most %d characters", storedFieldNames[k], m)
				}
				if k == fPhoneID && !validPhoneNumberID(v) && uc.err == "" {
					uc.err = "phone_number_id must be a valid phone number"
				}
				uc.vals[k] = v
				uc.set |= 1 << k
			case strings.HasPrefix(id, "_rf"):
				// other reserved fields (address lines, phone, ...) are accepted and not stored
			default:
				if v == "" {
					continue
				}
				if uc.custom == nil {
					uc.custom = make(customVals, 0, nCustom)
				}
				if types[id] == "Number" {
					uc.custom.set(id, json.Number(strings.TrimSpace(v)))
				} else {
					uc.custom.set(id, v)
				}
			}
		}
		if uc.err == "" {
			switch {
			case uc.email == "":
				uc.err = fmt.Sprintf("line %d: email is required", line)
			case !ValidEmail(uc.email):
				uc.err = fmt.Sprintf("line %d: email is not a valid email address", line)
			}
		}
		add(uc)
	}
}

// ---- exports ----

func (e *Emulator) hStartExport(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var in struct {
		ListIDs    []string `json:"list_ids"`
		SegmentIDs []string `json:"segment_ids"`
		FileType   string   `json:"file_type"`
	}
	if err := readJSON(r, &in); err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "request body is not valid JSON"))
		return
	}
	if in.FileType == "" {
		in.FileType = "csv" // spec: POST /v3/marketing/contacts/exports file_type default csv
	}
	if in.FileType != "csv" && in.FileType != "json" { // spec: components.schemas.FileType
		writeErrors(w, http.StatusBadRequest, fieldErr("file_type", "file_type must be csv or json"))
		return
	}
	if len(in.SegmentIDs) > 0 { // the emulator serves no segments (SendGrid segments are out of scope)
		writeErrors(w, http.StatusBadRequest, fieldErr("segment_ids", "this emulator has no segments"))
		return
	}
	a := ri.acct
	a.mu.Lock()
	for i, id := range in.ListIDs {
		if a.lists[id] == nil {
			a.mu.Unlock()
			// assumption: an unknown list is a 400 naming it (the spec lists 400 and 404 for this call)
			writeErrors(w, http.StatusBadRequest, fieldErr(fmt.Sprintf("list_ids[%d]", i), "list ID does not exist"))
			return
		}
	}
	f := e.currentFaults()
	now := e.clock()
	x := &export{id: e.newID(), listIDs: in.ListIDs, fileType: in.FileType, created: now,
		due: now.Add(e.cfg.JobDelay + f.JobSlow), stuck: f.JobStuck, status: "pending"}
	x.fail = e.roll(f.JobFailRatio)
	a.exports[x.id] = x
	a.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{
		"id":        x.id,
		"_metadata": map[string]any{"self": ri.base + "/v3/marketing/contacts/exports/" + x.id},
	})
}

func (e *Emulator) hExportStatus(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	a := ri.acct
	id := r.PathValue("id")
	now := e.clock()
	a.mu.Lock()
	e.process(a, now)
	x := a.exports[id]
	if x == nil {
		a.mu.Unlock()
		writeErrors(w, http.StatusNotFound, fieldErr("id", "export not found"))
		return
	}
	if x.status == "pending" && !x.stuck && !now.Before(x.due) {
		if x.fail {
			x.status = "failure"
		} else {
			e.buildExport(a, x, now)
			x.status = "ready"
		}
		x.completed = now
	}
	resp := map[string]any{
		"id":         x.id,
		"status":     x.status,
		"created_at": isoTime(x.created),
		"updated_at": isoTime(maxTime(x.created, x.completed)),
		"expires_at": isoTime(x.created.Add(72 * time.Hour)),
	}
	switch x.status {
	case "ready":
		urls := make([]string, len(x.files))
		for i := range x.files {
			urls[i] = ri.base + "/_emulator/exports/" + x.id + "/" + strconv.Itoa(i) + "?token=" + x.tokens[i]
		}
		resp["urls"] = urls
		resp["contact_count"] = x.count
		resp["completed_at"] = isoTime(x.completed)
	case "failure":
		resp["message"] = "the export failed (injected fault)"
		resp["completed_at"] = isoTime(x.completed)
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// hListExports lists the account's export jobs, oldest first. Source: spec
// tsg_mc_contacts_v3.json GET /v3/marketing/contacts/exports ("Get All Existing Exports": id,
// status, created_at, completed_at, expires_at, urls when ready, export_type, lists).
func (e *Emulator) hListExports(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	a := ri.acct
	now := e.clock()
	a.mu.Lock()
	e.process(a, now)
	all := make([]*export, 0, len(a.exports))
	for _, x := range a.exports {
		all = append(all, x)
	}
	sort.Slice(all, func(i, j int) bool {
		return all[i].created.Before(all[j].created) || all[i].created.Equal(all[j].created) && all[i].id < all[j].id
	})
	res := make([]map[string]any, 0, len(all))
	for _, x := range all {
		lists := make([]map[string]string, 0, len(x.listIDs))
		for _, id := range x.listIDs {
			name := ""
			if l := a.lists[id]; l != nil {
				name = l.name
			}
			lists = append(lists, map[string]string{"ID": id, "Name": name})
		}
		typ := "contacts_export"
		if len(x.listIDs) > 0 {
			typ = "list_export"
		}
		item := map[string]any{"id": x.id, "status": x.status, "created_at": isoTime(x.created),
			"expires_at": isoTime(x.created.Add(72 * time.Hour)), "export_type": typ, "lists": lists,
			"_metadata": map[string]any{"self": ri.base + "/v3/marketing/contacts/exports/" + x.id}}
		if !x.completed.IsZero() {
			item["completed_at"] = isoTime(x.completed)
		}
		res = append(res, item)
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"result": res, "_metadata": map[string]any{"self": ri.base + "/v3/marketing/contacts/exports"}})
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ExportColumns are the columns of a CSV export, followed by the custom fields by name.
var ExportColumns = []string{"EMAIL", "FIRST_NAME", "LAST_NAME", "CITY", "STATE_PROVINCE_REGION", "POSTAL_CODE", "COUNTRY", "CONTACT_ID", "LIST_IDS", "CREATED_AT", "UPDATED_AT"}

// buildExport writes the export file (gzip-compressed CSV or JSON lines) at now; contacts created
// less than Config.ConsistencyLag ago are not in it yet. The caller holds a.mu.
func (e *Emulator) buildExport(a *account, x *export, now time.Time) {
	var sel []*contact
	for _, c := range a.contacts {
		if !c.visible(now) {
			continue
		}
		if len(x.listIDs) == 0 {
			sel = append(sel, c)
			continue
		}
		for _, l := range x.listIDs {
			if c.onList(l) {
				sel = append(sel, c)
				break
			}
		}
	}
	sort.Slice(sel, func(i, j int) bool { return sel[i].email < sel[j].email })
	fields := a.sortedFields()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if x.fileType == "json" {
		enc := json.NewEncoder(zw)
		for _, c := range sel {
			_ = enc.Encode(exportRecord(a, c))
		}
	} else {
		cw := csv.NewWriter(zw)
		head := append([]string{}, ExportColumns...)
		for _, f := range fields {
			head = append(head, f.name)
		}
		_ = cw.Write(head)
		rec := make([]string, 0, len(head))
		for _, c := range sel {
			lists := append([]string{}, c.lists...)
			sort.Strings(lists)
			rec = rec[:0]
			rec = append(rec, c.email, c.fields[fFirst], c.fields[fLast], c.fields[fCity], c.fields[fState], c.fields[fPostal],
				c.fields[fCountry], formatUUID(c.id), strings.Join(lists, ","), isoTime(time.Unix(c.created, 0)), isoTime(time.Unix(c.updated, 0)))
			for _, f := range fields {
				v, _ := c.custom.get(f.id)
				rec = append(rec, customString(v))
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
	}
	_ = zw.Close()
	x.files = [][]byte{buf.Bytes()}
	x.tokens = []string{e.newToken()}
	x.count = int64(len(sel))
}

func customString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func exportRecord(a *account, c *contact) map[string]any {
	lists := append([]string{}, c.lists...)
	sort.Strings(lists)
	return map[string]any{
		"contact_id": formatUUID(c.id), "email": c.email, "first_name": c.fields[fFirst], "last_name": c.fields[fLast],
		"city": c.fields[fCity], "state_province_region": c.fields[fState], "postal_code": c.fields[fPostal],
		"country": c.fields[fCountry], "list_ids": lists, "custom_fields": customByName(a, c),
		"created_at": isoTime(time.Unix(c.created, 0)), "updated_at": isoTime(time.Unix(c.updated, 0)),
	}
}

func (e *Emulator) hExportFile(w http.ResponseWriter, r *http.Request) {
	if refuseStorageAuth(w, r) {
		return
	}
	id, tok := r.PathValue("id"), r.URL.Query().Get("token")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || tok == "" {
		writeErrors(w, http.StatusNotFound, nullErr("not found"))
		return
	}
	accts := e.allAccounts()
	for _, a := range accts {
		a.mu.Lock()
		x := a.exports[id]
		if x == nil {
			a.mu.Unlock()
			continue
		}
		if n < 0 || n >= len(x.files) || x.tokens[n] != tok {
			a.mu.Unlock()
			writeErrors(w, http.StatusForbidden, nullErr("invalid token"))
			return
		}
		data := x.files[n]
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
		return
	}
	writeErrors(w, http.StatusNotFound, nullErr("not found"))
}
