package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// listJSON renders a list; the caller holds a.mu. Its count lags (Config.ConsistencyLag).
func (e *Emulator) listJSON(a *account, l *list, base string) map[string]any {
	return map[string]any{
		"id":            l.id,
		"name":          l.name,
		"contact_count": a.visibleCount(l, e.clock(), e.cfg.ConsistencyLag),
		"_metadata":     map[string]string{"self": base + "/v3/marketing/lists/" + l.id},
	}
}

func readJSON(r *http.Request, v any) error {
	return json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v)
}

// readListName reads the {"name": ...} body of a list create or rename and checks the name,
// answering 400 (and returning false) when it is missing or breaks SendGrid's rules.
func readListName(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Name *string `json:"name"`
	}
	if err := readJSON(r, &in); err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "request body is not valid JSON"))
		return "", false
	}
	if in.Name == nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("name", "name is required"))
		return "", false
	}
	if msg := checkListName(*in.Name); msg != "" {
		writeErrors(w, http.StatusBadRequest, fieldErr("name", msg))
		return "", false
	}
	return *in.Name, true
}

// checkListName: spec POST /v3/marketing/lists requestBody name (minLength 1, maxLength 100).
func checkListName(name string) string {
	n := utf8.RuneCountInString(name)
	if strings.TrimSpace(name) == "" {
		return "name is required"
	}
	if n > MaxListNameLen {
		return fmt.Sprintf("name must be at most %d characters", MaxListNameLen)
	}
	return ""
}

func (e *Emulator) hCreateList(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	name, ok := readListName(w, r)
	if !ok {
		return
	}
	l, msg := e.createList(ri.acct, name)
	if msg != "" {
		writeErrors(w, http.StatusBadRequest, fieldErr("name", msg))
		return
	}
	a := ri.acct
	a.mu.Lock()
	body := e.listJSON(a, l, ri.base)
	a.mu.Unlock()
	writeJSON(w, http.StatusCreated, body)
}

func (e *Emulator) createList(a *account, name string) (*list, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.lists) >= MaxLists {
		return nil, fmt.Sprintf("an account can have at most %d lists", MaxLists)
	}
	for _, l := range a.lists {
		if l.name == name {
			return nil, "a list with this name already exists"
		}
	}
	id := e.newID()
	for a.lists[id] != nil {
		id = e.newID()
	}
	l := &list{id: id, name: name, created: e.clock()}
	a.lists[id] = l
	e.dirty.Store(true)
	return l, ""
}

func (e *Emulator) hLists(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	q := r.URL.Query()
	size := 100
	if v := q.Get("page_size"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1 || f > MaxPageSize || f != float64(int(f)) {
			writeErrors(w, http.StatusBadRequest, fieldErr("page_size", fmt.Sprintf("page_size must be a whole number from 1 to %d", MaxPageSize)))
			return
		}
		size = int(f)
	}
	offset := 0
	if tok := q.Get("page_token"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			writeErrors(w, http.StatusBadRequest, fieldErr("page_token", "page_token is not valid"))
			return
		}
		offset = n
	}
	a := ri.acct
	a.mu.Lock()
	e.process(a, e.clock())
	all := a.sortedLists()
	res := []map[string]any{}
	for i := offset; i < len(all) && i < offset+size; i++ {
		res = append(res, e.listJSON(a, all[i], ri.base))
	}
	total := len(all)
	a.mu.Unlock()
	page := func(off int) string {
		v := url.Values{}
		v.Set("page_size", strconv.Itoa(size))
		v.Set("page_token", strconv.Itoa(off))
		return ri.base + "/v3/marketing/lists?" + v.Encode()
	}
	meta := map[string]any{"self": page(offset), "count": total}
	if offset+size < total {
		meta["next"] = page(offset + size)
	}
	if offset > 0 {
		prev := offset - size
		if prev < 0 {
			prev = 0
		}
		meta["prev"] = page(prev)
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": res, "_metadata": meta})
}

func (e *Emulator) listOr404(w http.ResponseWriter, r *http.Request) (*list, *account) {
	a := info(r).acct
	id := r.PathValue("id")
	a.mu.Lock()
	l := a.lists[id]
	a.mu.Unlock()
	if l == nil {
		writeErrors(w, http.StatusNotFound, fieldErr("id", "list not found"))
		return nil, a
	}
	return l, a
}

func (e *Emulator) hGetList(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	a := ri.acct
	a.mu.Lock()
	e.process(a, e.clock())
	a.mu.Unlock()
	l, _ := e.listOr404(w, r)
	if l == nil {
		return
	}
	a.mu.Lock()
	body := e.listJSON(a, l, ri.base)
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (e *Emulator) hRenameList(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	l, a := e.listOr404(w, r)
	if l == nil {
		return
	}
	name, ok := readListName(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	for _, o := range a.lists {
		if o != l && o.name == name {
			a.mu.Unlock()
			// assumption: list names are unique per account (SendGrid's UI refuses a duplicate name)
			writeErrors(w, http.StatusBadRequest, fieldErr("name", "a list with this name already exists"))
			return
		}
	}
	l.name = name
	body := e.listJSON(a, l, ri.base)
	a.mu.Unlock()
	e.dirty.Store(true)
	writeJSON(w, http.StatusOK, body)
}

func (e *Emulator) hDeleteList(w http.ResponseWriter, r *http.Request) {
	l, a := e.listOr404(w, r)
	if l == nil {
		return
	}
	delContacts := false
	if v := r.URL.Query().Get("delete_contacts"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			// assumption: another delete_contacts value is refused (spec: DELETE /v3/marketing/lists/{id} parameter delete_contacts is a boolean)
			writeErrors(w, http.StatusBadRequest, fieldErr("delete_contacts", "delete_contacts must be true or false"))
			return
		}
		delContacts = b
	}
	var j *job
	a.mu.Lock()
	e.process(a, e.clock())
	if delContacts {
		j = e.newJob(jobDelete)
		for _, c := range a.contacts {
			if c.onList(l.id) {
				j.deleteContacts = append(j.deleteContacts, c.email)
			}
		}
		if j.deleteContacts == nil {
			j.deleteContacts = []string{}
		}
		j.requested = int64(len(j.deleteContacts))
	}
	for _, c := range a.contacts {
		a.removeFromList(c, l.id)
	}
	delete(a.lists, l.id)
	a.mu.Unlock()
	e.dirty.Store(true)
	if j != nil {
		e.schedule(a, j, true)
		writeJSON(w, http.StatusOK, map[string]string{"job_id": j.id})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) hListCount(w http.ResponseWriter, r *http.Request) {
	a := info(r).acct
	a.mu.Lock()
	e.process(a, e.clock())
	a.mu.Unlock()
	l, _ := e.listOr404(w, r)
	if l == nil {
		return
	}
	a.mu.Lock()
	n := a.visibleCount(l, e.clock(), e.cfg.ConsistencyLag)
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"contact_count": n, "billable_count": n})
}

// hRemoveListContacts removes contacts from a list, never deleting them.
// spec: tsg_mc_lists_v3.json DELETE /v3/marketing/lists/{id}/contacts (202 with job_id; 400; 404
// for the list or a contact ID). No maximum of IDs is documented (none enforced here).
func (e *Emulator) hRemoveListContacts(w http.ResponseWriter, r *http.Request) {
	l, a := e.listOr404(w, r)
	if l == nil {
		return
	}
	raw := r.URL.Query().Get("contact_ids")
	if raw == "" {
		// spec: parameter contact_ids is required; assumption: the 400 body names the field.
		writeErrors(w, http.StatusBadRequest, fieldErr("contact_ids", "contact_ids is required"))
		return
	}
	parts := strings.Split(raw, ",")
	ids := make([][16]byte, 0, len(parts))
	for i, p := range parts {
		id, ok := parseUUID(strings.TrimSpace(p))
		if !ok {
			writeErrors(w, http.StatusBadRequest, fieldErr(fmt.Sprintf("contact_ids[%d]", i), "contact ID is not a valid ID"))
			return
		}
		ids = append(ids, id)
	}
	a.mu.Lock()
	e.process(a, e.clock())
	missing := false
	for _, id := range ids {
		if a.byID[id] == nil {
			missing = true
		}
	}
	a.mu.Unlock()
	if missing {
		// Source: spec tsg_mc_lists_v3.json DELETE /v3/marketing/lists/{id}/contacts, 404: "one
		// or more contact IDs do not exist". Which ones is not said (the body is undocumented).
		writeErrors(w, http.StatusNotFound, fieldErr("contact_ids", "one or more contact IDs do not exist"))
		return
	}
	// spec: 202 {job_id}, applied asynchronously; assumption: its status is not served at
	// /v3/marketing/contacts/imports/{id} (see hImportStatus).
	j := e.newJob(jobRemove)
	j.removeList = l.id
	j.removeIDs = ids
	j.requested = int64(len(ids))
	e.schedule(a, j, true)
	writeJSON(w, http.StatusAccepted, map[string]string{"job_id": j.id})
}

// ---- field definitions ----

func fieldJSON(f *field, base string) map[string]any {
	return map[string]any{
		"id":         f.id,
		"name":       f.name,
		"field_type": f.typ,
		"_metadata":  map[string]string{"self": base + "/v3/marketing/field_definitions/" + f.id},
	}
}

func (e *Emulator) hFields(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	a := ri.acct
	a.mu.Lock()
	custom := []map[string]any{}
	for _, f := range a.sortedFields() {
		custom = append(custom, map[string]any{"id": f.id, "name": f.name, "field_type": f.typ})
	}
	a.mu.Unlock()
	reserved := make([]map[string]any, 0, len(reservedFields))
	for _, f := range reservedFields {
		m := map[string]any{"id": f.ID, "name": f.Name, "field_type": f.Type}
		if f.ReadOnly {
			m["read_only"] = true
		}
		reserved = append(reserved, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"custom_fields":   custom,
		"reserved_fields": reserved,
		"_metadata":       map[string]any{"self": ri.base + "/v3/marketing/field_definitions"},
	})
}

// CheckFieldName applies SendGrid's custom field name rules; it returns "" when name is fine.
// spec: POST /v3/marketing/field_definitions description (A-Z, 0-9 and _, starting with a letter or _)
func CheckFieldName(name string) string {
	if name == "" {
		return "name is required"
	}
	if len(name) > MaxFieldNameLen {
		return fmt.Sprintf("name must be at most %d characters", MaxFieldNameLen)
	}
	c := name[0]
	if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
		return "name must start with a letter or an underscore"
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if c != '_' && !isAlnum(c) {
			return "name may contain only letters, digits and underscores"
		}
	}
	return ""
}

func (e *Emulator) hCreateField(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	var in struct {
		Name      *string `json:"name"`
		FieldType *string `json:"field_type"`
	}
	if err := readJSON(r, &in); err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "request body is not valid JSON"))
		return
	}
	var errs []errItem
	if in.Name == nil {
		errs = append(errs, fieldErr("name", "name is required"))
	} else if msg := CheckFieldName(*in.Name); msg != "" {
		errs = append(errs, fieldErr("name", msg))
	}
	if in.FieldType == nil {
		errs = append(errs, fieldErr("field_type", "field_type is required"))
	} else if t := *in.FieldType; t != "Text" && t != "Number" && t != "Date" {
		errs = append(errs, fieldErr("field_type", "field_type must be Text, Number or Date"))
	}
	if len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	f, msg := e.createField(ri.acct, *in.Name, *in.FieldType)
	if msg != "" {
		writeErrors(w, http.StatusBadRequest, fieldErr("name", msg))
		return
	}
	writeJSON(w, http.StatusOK, fieldJSON(f, ri.base))
}

func (e *Emulator) createField(a *account, name, typ string) (*field, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if msg := nameTaken(a, name, nil); msg != "" {
		return nil, msg
	}
	if len(a.fields) >= MaxCustomFields {
		return nil, fmt.Sprintf("an account can have at most %d custom fields", MaxCustomFields)
	}
	id := "e" + strconv.Itoa(a.nextField) + "_" + typ[:1]
	a.nextField++
	f := &field{id: id, name: name, typ: typ}
	a.fields[id] = f
	e.dirty.Store(true)
	return f, ""
}

// nameTaken refuses a reserved field's name and a name another field has, ignoring case.
// spec: POST /v3/marketing/field_definitions description ("case-insensitively unique")
func nameTaken(a *account, name string, self *field) string {
	for _, rf := range reservedFields {
		if strings.EqualFold(rf.Name, name) {
			return "name is a reserved field name"
		}
	}
	if f := a.fieldByName(name); f != nil && f != self {
		return "a custom field with this name already exists (names are compared ignoring case)"
	}
	return ""
}

func (e *Emulator) hRenameField(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	a := ri.acct
	id := r.PathValue("custom_field_id")
	var in struct {
		Name *string `json:"name"`
	}
	a.mu.Lock()
	f := a.fields[id]
	a.mu.Unlock()
	if f == nil {
		writeErrors(w, http.StatusNotFound, fieldErr("custom_field_id", "custom field not found"))
		return
	}
	if err := readJSON(r, &in); err != nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("", "request body is not valid JSON"))
		return
	}
	if in.Name == nil {
		writeErrors(w, http.StatusBadRequest, fieldErr("name", "name is required"))
		return
	}
	if msg := CheckFieldName(*in.Name); msg != "" {
		writeErrors(w, http.StatusBadRequest, fieldErr("name", msg))
		return
	}
	a.mu.Lock()
	if msg := nameTaken(a, *in.Name, f); msg != "" {
		a.mu.Unlock()
		writeErrors(w, http.StatusBadRequest, fieldErr("name", msg))
		return
	}
	f.name = *in.Name
	body := fieldJSON(f, ri.base)
	a.mu.Unlock()
	e.dirty.Store(true)
	writeJSON(w, http.StatusOK, body)
}

func (e *Emulator) hDeleteField(w http.ResponseWriter, r *http.Request) {
	a := info(r).acct
	id := r.PathValue("custom_field_id")
	a.mu.Lock()
	f := a.fields[id]
	if f == nil {
		a.mu.Unlock()
		writeErrors(w, http.StatusNotFound, fieldErr("custom_field_id", "custom field not found"))
		return
	}
	delete(a.fields, id)
	for _, c := range a.contacts {
		c.custom.del(id)
	}
	a.mu.Unlock()
	e.dirty.Store(true)
	w.WriteHeader(http.StatusNoContent)
}

// ---- scopes and user ----

func (e *Emulator) hScopes(w http.ResponseWriter, r *http.Request) {
	sc := append([]string{}, info(r).key.Scopes...)
	writeJSON(w, http.StatusOK, map[string]any{"scopes": sc})
}

func (e *Emulator) hUsername(w http.ResponseWriter, r *http.Request) {
	k := info(r).key
	writeJSON(w, http.StatusOK, map[string]any{"username": k.Username, "user_id": k.UserID})
}

func (e *Emulator) hAccount(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"type": "paid", "reputation": 100})
}

func (e *Emulator) hProfile(w http.ResponseWriter, r *http.Request) {
	k := info(r).key
	writeJSON(w, http.StatusOK, map[string]any{
		"address": "1 Example Street", "address2": "", "city": "Example City", "company": "Example Co (" + k.Username + ")",
		"country": "US", "first_name": "Example", "last_name": "Operator", "phone": "+1 555 0100", "state": "CA",
		"website": "https://example.com", "zip": "90210",
	})
}
