package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

func (e *Emulator) mustAccount(fn, apiKey string) *account {
	a := e.accountForKey(apiKey)
	if a == nil {
		panic("emulator: " + fn + ": unknown API key")
	}
	return a
}

// SeedList creates a list in the account of apiKey and returns its ID. It panics when the key
// is unknown or the list cannot be created (duplicate name, too many lists).
func (e *Emulator) SeedList(apiKey, name string) string {
	a := e.mustAccount("SeedList", apiKey)
	if msg := checkListName(name); msg != "" {
		panic("emulator: SeedList: " + msg)
	}
	l, msg := e.createList(a, name)
	if msg != "" {
		panic("emulator: SeedList: " + msg)
	}
	return l.id
}

// SeedField creates a custom field (Text, Number or Date) and returns its ID.
func (e *Emulator) SeedField(apiKey, name, fieldType string) string {
	a := e.mustAccount("SeedField", apiKey)
	if msg := CheckFieldName(name); msg != "" {
		panic("emulator: SeedField: " + msg)
	}
	if fieldType != "Text" && fieldType != "Number" && fieldType != "Date" {
		panic("emulator: SeedField: field type must be Text, Number or Date")
	}
	f, msg := e.createField(a, name, fieldType)
	if msg != "" {
		panic("emulator: SeedField: " + msg)
	}
	return f.id
}

// SeedContact stores a contact directly (no job): reserved fields by name ("first_name", …),
// custom fields by field ID, and list memberships. It returns the contact ID.
func (e *Emulator) SeedContact(apiKey, email string, fields map[string]any, listIDs ...string) string {
	a := e.mustAccount("SeedContact", apiKey)
	if !ValidEmail(email) {
		panic("emulator: SeedContact: invalid email")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	em := lower(email)
	c := a.contacts[em]
	now := e.clock().Unix()
	if c == nil {
		c = &contact{email: em, created: now}
		e.addContact(a, c)
	}
	c.updated = now
	for k, v := range fields {
		slot := -1
		for i, n := range storedFieldNames {
			if n == k {
				slot = i
			}
		}
		if slot >= 0 {
			c.fields[slot] = fmt.Sprint(v)
			continue
		}
		f := a.fields[k]
		if f == nil {
			panic("emulator: SeedContact: unknown field " + k)
		}
		cv, msg := convertCustom(f.typ, v)
		if msg != "" {
			panic("emulator: SeedContact: " + msg)
		}
		c.custom.set(k, cv)
	}
	for _, id := range listIDs {
		l := a.lists[id]
		if l == nil {
			panic("emulator: SeedContact: unknown list " + id)
		}
		a.addToList(c, l)
	}
	e.dirty.Store(true)
	return formatUUID(c.id)
}

// FlushJobs completes every pending job now (except stuck ones and imports still waiting for
// their file), as if their delay had passed.
func (e *Emulator) FlushJobs() {
	accts := e.allAccounts()
	for _, a := range accts {
		e.completeAll(a)
	}
}

// ListMembers returns the emails on a list, sorted (jobs that are due are applied first).
func (e *Emulator) ListMembers(apiKey, listID string) []string {
	a := e.accountForKey(apiKey)
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e.process(a, e.clock())
	var out []string
	for _, c := range a.contacts {
		if c.onList(listID) {
			out = append(out, c.email)
		}
	}
	sort.Strings(out)
	return out
}

// ListInfo returns a list's name and member count.
func (e *Emulator) ListInfo(apiKey, listID string) (name string, count int64, ok bool) {
	a := e.accountForKey(apiKey)
	if a == nil {
		return "", 0, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e.process(a, e.clock())
	l := a.lists[listID]
	if l == nil {
		return "", 0, false
	}
	return l.name, l.count, true
}

// ListIDs returns the account's lists as ID -> name.
func (e *Emulator) ListIDs(apiKey string) map[string]string {
	a := e.accountForKey(apiKey)
	out := map[string]string{}
	if a == nil {
		return out
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, l := range a.lists {
		out[id] = l.name
	}
	return out
}

// Contact returns a stored contact for assertions: "id", "email", the reserved fields by name,
// "list_ids" ([]string, sorted), "custom_fields" (by field ID: string or float64), "created_at",
// "updated_at".
func (e *Emulator) Contact(apiKey, email string) (map[string]any, bool) {
	a := e.accountForKey(apiKey)
	if a == nil {
		return nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e.process(a, e.clock())
	c := a.contacts[lower(email)]
	if c == nil {
		return nil, false
	}
	lists := append([]string{}, c.lists...)
	sort.Strings(lists)
	m := map[string]any{
		"id": formatUUID(c.id), "email": c.email, "list_ids": lists, "custom_fields": c.custom.byID(),
		"created_at": isoTime(time.Unix(c.created, 0)), "updated_at": isoTime(time.Unix(c.updated, 0)),
	}
	for i, n := range storedFieldNames {
		m[n] = c.fields[i]
	}
	return m, true
}

// ContactCount returns how many contacts the account of apiKey holds.
func (e *Emulator) ContactCount(apiKey string) int {
	a := e.accountForKey(apiKey)
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e.process(a, e.clock())
	return len(a.contacts)
}

// hDebugMembers serves GET /_emulator/lists/{id}/members: the list's name, count and emails,
// masked unless ?unmask=1.
func (e *Emulator) hDebugMembers(w http.ResponseWriter, r *http.Request) {
	ri := info(r)
	id := r.PathValue("id")
	name, count, ok := e.ListInfo(ri.apiKey, id)
	if !ok {
		writeErrors(w, http.StatusNotFound, fieldErr("id", "list not found"))
		return
	}
	members := e.ListMembers(ri.apiKey, id)
	unmask, _ := strconv.ParseBool(r.URL.Query().Get("unmask"))
	if !unmask {
		for i := range members {
			members[i] = privacy.MaskEmail(members[i])
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": name, "contact_count": count, "emails": members, "masked": !unmask})
}

// ---- persistence ----

type stateFile struct {
	Version  int         `json:"version"`
	Accounts []acctState `json:"accounts"`
}

type acctState struct {
	UserID    int64          `json:"user_id"`
	NextField int            `json:"next_field"`
	Lists     []listState    `json:"lists"`
	Fields    []fieldState   `json:"fields"`
	Contacts  []contactState `json:"contacts"`
}

type listState struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

type fieldState struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type contactState struct {
	ID      string          `json:"id"`
	Email   string          `json:"email"`
	Fields  [nFields]string `json:"fields"`
	Custom  map[string]any  `json:"custom,omitempty"`
	Lists   []string        `json:"lists,omitempty"`
	Created int64           `json:"created"`
	Updated int64           `json:"updated"`
}

// Save writes the state file now (lists, fields, contacts of every account; jobs that are due
// are applied first, pending ones are not saved).
func (e *Emulator) Save() error {
	if e.cfg.StatePath == "" {
		return errors.New("emulator: no state file configured")
	}
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	accts := e.allAccounts()
	sort.Slice(accts, func(i, j int) bool { return accts[i].userID < accts[j].userID })
	st := stateFile{Version: 1}
	for _, a := range accts {
		a.mu.Lock()
		e.process(a, e.clock())
		as := acctState{UserID: a.userID, NextField: a.nextField}
		for _, l := range a.sortedLists() {
			as.Lists = append(as.Lists, listState{ID: l.id, Name: l.name, Created: l.created})
		}
		for _, f := range a.sortedFields() {
			as.Fields = append(as.Fields, fieldState{ID: f.id, Name: f.name, Type: f.typ})
		}
		as.Contacts = make([]contactState, 0, len(a.contacts))
		for _, c := range a.contacts {
			cs := contactState{ID: formatUUID(c.id), Email: c.email, Fields: c.fields, Lists: append([]string(nil), c.lists...),
				Created: c.created, Updated: c.updated}
			if len(c.custom) > 0 {
				cs.Custom = c.custom.byID()
			}
			as.Contacts = append(as.Contacts, cs)
		}
		a.mu.Unlock()
		sort.Slice(as.Contacts, func(i, j int) bool { return as.Contacts[i].Email < as.Contacts[j].Email })
		st.Accounts = append(st.Accounts, as)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	dir := filepath.Dir(e.cfg.StatePath)
	tmp, err := os.CreateTemp(dir, ".emulator-state-*")
	if err != nil {
		return fmt.Errorf("emulator: saving state: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("emulator: saving state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("emulator: saving state: %w", err)
	}
	if err := os.Rename(tmp.Name(), e.cfg.StatePath); err != nil {
		return fmt.Errorf("emulator: saving state: %w", err)
	}
	return nil
}

func (e *Emulator) load(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("emulator: reading state file: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("emulator: state file %s is not valid: %w", path, err)
	}
	for _, as := range st.Accounts {
		a := e.accountFor(as.UserID)
		a.mu.Lock()
		a.nextField = as.NextField
		if a.nextField < 1 {
			a.nextField = 1
		}
		for _, l := range as.Lists {
			a.lists[l.ID] = &list{id: l.ID, name: l.Name, created: l.Created}
		}
		for _, f := range as.Fields {
			a.fields[f.ID] = &field{id: f.ID, name: f.Name, typ: f.Type}
		}
		for _, cs := range as.Contacts {
			id, ok := parseUUID(cs.ID)
			if !ok {
				continue
			}
			c := &contact{id: id, email: cs.Email, fields: cs.Fields, created: cs.Created, updated: cs.Updated}
			for _, k := range slices.Sorted(maps.Keys(cs.Custom)) {
				c.custom.set(k, cs.Custom[k])
			}
			for _, lid := range cs.Lists {
				if l := a.lists[lid]; l != nil {
					c.lists = append(c.lists, l.id)
					l.count++
				}
			}
			a.contacts[c.email] = c
			a.byID[c.id] = c
		}
		a.mu.Unlock()
	}
	return nil
}

// saver rewrites the state file after changes, at most every SaveEvery and, for large accounts,
// never more often than every four times the last save took (so saving stays a small part of
// the emulator's work).
func (e *Emulator) saver() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.SaveEvery)
	defer t.Stop()
	var last time.Time
	var took time.Duration
	for {
		select {
		case <-e.closeCh:
			return
		case <-t.C:
			if time.Since(last) < 4*took || !e.dirty.Swap(false) {
				continue
			}
			last = time.Now()
			if err := e.Save(); err != nil {
				e.dirty.Store(true)
			}
			took = time.Since(last)
		}
	}
}

// DeleteContact deletes a contact from the account at once, as SendGrid's UI does ("Delete
// contacts"): it leaves every list. It reports whether the contact existed.
func (e *Emulator) DeleteContact(apiKey, email string) bool {
	a := e.mustAccount("DeleteContact", apiKey)
	a.mu.Lock()
	defer a.mu.Unlock()
	e.process(a, e.clock())
	c := a.contacts[lower(email)]
	if c == nil {
		return false
	}
	a.deleteContact(c)
	e.dirty.Store(true)
	return true
}
