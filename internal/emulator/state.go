package emulator

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits SendGrid documents, enforced by the emulator; each with its source.
const (
	MaxUpsertContacts    = 30000     // spec: PUT /v3/marketing/contacts requestBody contacts.maxItems
	MaxUpsertBytes       = 6_000_000 // spec: PUT /v3/marketing/contacts description "6MB" (assumption: decimal, the lower reading)
	MaxImportRows        = 1_000_000 // spec: PUT /v3/marketing/contacts/imports description "up to one million contacts"
	MaxSearchEmails      = 100       // spec: POST /v3/marketing/contacts/search/emails description (up to 100 emails)
	MaxSearchEmailLength = 100       // spec: POST /v3/marketing/contacts/search/emails requestBody emails.items.maxLength
	MaxListsPerContact   = 250       // assumption: reported by SendGrid users, not in the spec (SENDGRID-EVIDENCE "lists")
	MaxCustomFields      = 500       // spec: tsg_mc_custom_fields_v3.json POST /v3/marketing/field_definitions description
	MaxLists             = 1000      // source: SendGrid "Create and manage contacts" page (assumption: refused with 400)
	MaxPageSize          = 1000      // spec: GET /v3/marketing/lists parameter page_size maximum
	MaxListNameLen       = 100       // spec: POST /v3/marketing/lists requestBody name.maxLength
	MaxFieldNameLen      = 100       // spec: POST /v3/marketing/field_definitions requestBody name.maxLength
)

// Reserved fields, as SendGrid lists them in GET /v3/marketing/field_definitions; maximum lengths
// from the spec's ContactRequest schema (0: none documented).
// spec: tsg_mc_contacts_v3.json components.schemas.ContactRequest; tsg_mc_custom_fields_v3.json GET /v3/marketing/field_definitions reserved_fields
type reservedField struct {
	ID, Name, Type string
	ReadOnly       bool
	MaxLen         int // 0 = no documented maximum
}

var reservedFields = []reservedField{
	{"_rf0_T", "first_name", "Text", false, 50},
	{"_rf1_T", "last_name", "Text", false, 50},
	{"_rf2_T", "email", "Text", false, 254},
	{"_rf3_T", "alternate_emails", "Text", false, 0},
	{"_rf4_T", "address_line_1", "Text", false, 100},
	{"_rf5_T", "address_line_2", "Text", false, 100},
	{"_rf6_T", "city", "Text", false, 60},
	{"_rf7_T", "state_province_region", "Text", false, 50},
	{"_rf8_T", "postal_code", "Text", false, 0},
	{"_rf9_T", "country", "Text", false, 50},
	{"_rf10_T", "phone_number", "Text", false, 0},
	{"_rf11_T", "whatsapp", "Text", false, 0},
	{"_rf12_T", "line", "Text", false, 0},
	{"_rf13_T", "facebook", "Text", false, 0},
	{"_rf14_T", "unique_name", "Text", false, 0},
	{"_rf15_T", "email_domains", "Text", true, 0},
	{"_rf16_D", "last_clicked", "Date", true, 0},
	{"_rf17_D", "last_opened", "Date", true, 0},
	{"_rf18_D", "last_emailed", "Date", true, 0},
	{"_rf19_T", "singlesend_id", "Text", true, 0},
	{"_rf20_T", "automation_id", "Text", true, 0},
	{"_rf21_D", "created_at", "Date", true, 0},
	{"_rf22_D", "updated_at", "Date", true, 0},
	{"_rf23_T", "contact_id", "Text", true, 0},
	// The other identifiers. Spec PUT /v3/marketing/contacts/imports: "At least one identifier
	// is required for a successful import", so identifiers are importable and have field
	// definitions; their IDs are not documented (these are an assumption, and the provider finds
	// them by name and falls back to JSON upserts when they are not listed).
	{"_rf24_T", "phone_number_id", "Text", false, 0},
	{"_rf25_T", "external_id", "Text", false, 254},
	{"_rf26_T", "anonymous_id", "Text", false, 254},
}

func reservedByID(id string) (reservedField, bool) {
	for _, f := range reservedFields {
		if f.ID == id {
			return f, true
		}
	}
	return reservedField{}, false
}

// Indexes into contact.fields for the reserved fields the emulator stores.
const (
	fFirst = iota
	fLast
	fCountry
	fState
	fCity
	fPostal
	fPhoneID // identifiers (spec: ContactRequest phone_number_id, external_id, anonymous_id)
	fExternalID
	fAnonymousID
	nFields
)

var storedFieldNames = [nFields]string{"first_name", "last_name", "country", "state_province_region", "city", "postal_code",
	"phone_number_id", "external_id", "anonymous_id"}
var storedFieldMax = [nFields]int{50, 50, 50, 50, 60, 0, 0, 254, 254}

// storedRaw is the raw upsert slot (decode.go) of each stored field.
var storedRaw = [nFields]int{rFirst, rLast, rCountry, rState, rCity, rPostal, rPhone, rExternal, rAnonymous}

// identifierFields are the stored fields that identify a contact besides its email.
var identifierFields = []int{fPhoneID, fExternalID, fAnonymousID}

// missingIdentifier returns why uc may not update c, or "". Spec PUT /v3/marketing/contacts:
// "In order to update a contact, all of its existing identifiers must be present." That a
// different value is refused too is an assumption (the stricter reading).
func missingIdentifier(c *contact, uc *upsertContact) (field, msg string) {
	if c == nil {
		return "", ""
	}
	for _, k := range identifierFields {
		have := c.fields[k]
		if have == "" {
			continue
		}
		name := storedFieldNames[k]
		if uc.set&(1<<k) == 0 || uc.vals[k] == "" {
			return name, "the contact exists with a " + name + "; to update a contact all of its existing identifiers must be present"
		}
		if uc.vals[k] != have {
			return name, "the contact exists with another " + name + "; identifiers cannot be changed by an upsert"
		}
	}
	return "", ""
}

// validPhoneNumberID is the emulator's reading of "This must be a valid phone number" (spec:
// ContactRequest.phone_number_id): E.164, + then 8 to 15 digits, the first not 0 (an
// assumption: the stricter form).
func validPhoneNumberID(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

type list struct {
	id      string
	name    string
	created time.Time
	count   int64
}

type field struct {
	id   string
	name string
	typ  string // Text | Number | Date
}

type contact struct {
	id      [16]byte
	email   string
	fields  [nFields]string
	custom  customVals // string | float64 values
	lists   []string   // list IDs (shared strings from list.id)
	created int64      // Unix seconds
	updated int64
	// visibleAt (Unix nanoseconds, 0: now) is when a contact a job created shows in searches and
	// contacts exports (Config.ConsistencyLag).
	visibleAt int64
}

// visible reports whether searches and contacts exports show the contact at now.
func (c *contact) visible(now time.Time) bool {
	return c.visibleAt == 0 || now.UnixNano() >= c.visibleAt
}

func (c *contact) onList(id string) bool {
	for _, l := range c.lists {
		if l == id {
			return true
		}
	}
	return false
}

type jobError struct {
	Email   string
	Message string
	Row     int // 1-based position in the request or file, 0 when none
}

type job struct {
	id       string
	kind     string // upsert | delete | remove (list-membership removal)
	created  time.Time
	due      time.Time // zero: waiting (CSV import without upload)
	stuck    bool
	fail     bool
	errRatio float64
	status   string
	started  time.Time
	finished time.Time

	// payloads
	upsert  [][]upsertContact // in batches; nil when the job is not an upsert
	listIDs []string
	// removal from a list
	removeList string
	removeIDs  [][16]byte
	// deletion of a list's contacts (DELETE list with delete_contacts=true)
	deleteContacts []string // emails

	// CSV import
	importMappings []string
	uploaded       bool
	uploadToken    string

	requested, createdN, updated, deleted, errored int64
	errs                                           []jobError
	errToken                                       string
}

type export struct {
	id        string
	listIDs   []string
	fileType  string
	created   time.Time
	due       time.Time
	stuck     bool
	fail      bool
	status    string
	files     [][]byte
	tokens    []string
	count     int64
	completed time.Time
}

type account struct {
	mu        sync.Mutex
	userID    int64
	lists     map[string]*list
	fields    map[string]*field // by ID
	nextField int
	contacts  map[string]*contact // by lower-case email
	byID      map[[16]byte]*contact
	slab      []contact // storage for the next new contacts
	jobs      map[string]*job
	pending   []*job // in creation order
	exports   map[string]*export
	// lagged holds recent changes of list counts not yet visible (Config.ConsistencyLag).
	lagged []countChange
}

// countChange is a change of a list's count made at a time, visible ConsistencyLag later.
type countChange struct {
	list  string
	delta int64
	at    time.Time
}

// visibleCount is the list's count as reads show it: without the changes made less than lag
// ago. The caller holds a.mu.
func (a *account) visibleCount(l *list, now time.Time, lag time.Duration) int64 {
	n := l.count
	keep := a.lagged[:0]
	for _, c := range a.lagged {
		if now.Sub(c.at) >= lag {
			continue
		}
		keep = append(keep, c)
		if c.list == l.id {
			n -= c.delta
		}
	}
	a.lagged = keep
	return max(n, 0)
}

// listCounts returns every list's count (to record what a job changed). The caller holds a.mu.
func (a *account) listCounts() map[string]int64 {
	m := make(map[string]int64, len(a.lists))
	for id, l := range a.lists {
		m[id] = l.count
	}
	return m
}

// noteLag records the count changes since before as made at now. The caller holds a.mu.
func (a *account) noteLag(before map[string]int64, now time.Time) {
	for id, l := range a.lists {
		if d := l.count - before[id]; d != 0 {
			a.lagged = append(a.lagged, countChange{list: id, delta: d, at: now})
		}
	}
}

func newAccount(userID int64) *account {
	return &account{
		userID:    userID,
		lists:     map[string]*list{},
		fields:    map[string]*field{},
		nextField: 1,
		contacts:  map[string]*contact{},
		byID:      map[[16]byte]*contact{},
		jobs:      map[string]*job{},
		exports:   map[string]*export{},
	}
}

// contactSlab is how many contacts are allocated at once: an account holds up to millions of
// contacts, and a few large allocations cost the garbage collector much less than one each. A
// deleted contact's memory is reclaimed only with the rest of its slab.
const contactSlab = 1024

// newContact returns storage for a new contact. The caller holds a.mu.
func (a *account) newContact() *contact {
	if len(a.slab) == 0 {
		a.slab = make([]contact, contactSlab)
	}
	c := &a.slab[0]
	a.slab = a.slab[1:]
	return c
}

// reserve grows the contact indexes to room for n more contacts at once, when n is more than
// they hold now: a large import then fills them without growing them step by step. The caller
// holds a.mu.
func (a *account) reserve(n int) {
	if n <= len(a.contacts) {
		return
	}
	contacts := make(map[string]*contact, len(a.contacts)+n)
	byID := make(map[[16]byte]*contact, len(a.contacts)+n)
	for k, c := range a.contacts {
		contacts[k] = c
		byID[c.id] = c
	}
	a.contacts, a.byID = contacts, byID
}

func (e *Emulator) accountFor(userID int64) *account {
	e.acctMu.Lock()
	defer e.acctMu.Unlock()
	a := e.accounts[userID]
	if a == nil {
		a = newAccount(userID)
		e.accounts[userID] = a
	}
	return a
}

// allAccounts returns the accounts, in no particular order.
func (e *Emulator) allAccounts() []*account {
	e.acctMu.Lock()
	defer e.acctMu.Unlock()
	accts := make([]*account, 0, len(e.accounts))
	for _, a := range e.accounts {
		accts = append(accts, a)
	}
	return accts
}

func (e *Emulator) accountForKey(apiKey string) *account {
	e.keysMu.RLock()
	k, ok := e.keys[apiKey]
	e.keysMu.RUnlock()
	if !ok {
		return nil
	}
	return e.accountFor(k.UserID)
}

func (a *account) sortedLists() []*list {
	out := make([]*list, 0, len(a.lists))
	for _, l := range a.lists {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.Before(out[j].created)
		}
		return out[i].id < out[j].id
	})
	return out
}

func (a *account) sortedFields() []*field {
	out := make([]*field, 0, len(a.fields))
	for _, f := range a.fields {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return fieldNum(out[i].id) < fieldNum(out[j].id) })
	return out
}

func fieldNum(id string) int {
	s := strings.TrimPrefix(id, "e")
	if i := strings.IndexByte(s, '_'); i >= 0 {
		s = s[:i]
	}
	n, _ := strconv.Atoi(s)
	return n
}

func (a *account) fieldByName(name string) *field {
	for _, f := range a.fields {
		if strings.EqualFold(f.name, name) {
			return f
		}
	}
	return nil
}

// addToList adds a membership; callers check MaxListsPerContact first (it is enforced here too).
func (a *account) addToList(c *contact, l *list) {
	if c.onList(l.id) || len(c.lists) >= MaxListsPerContact {
		return
	}
	c.lists = append(c.lists, l.id)
	l.count++
}

func (a *account) removeFromList(c *contact, listID string) bool {
	for i, l := range c.lists {
		if l == listID {
			c.lists = append(c.lists[:i], c.lists[i+1:]...)
			if lst := a.lists[listID]; lst != nil {
				lst.count--
			}
			return true
		}
	}
	return false
}

func (a *account) deleteContact(c *contact) {
	for _, l := range c.lists {
		if lst := a.lists[l]; lst != nil {
			lst.count--
		}
	}
	delete(a.contacts, c.email)
	delete(a.byID, c.id)
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
