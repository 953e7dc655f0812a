package export

import (
	"sort"
	"strings"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/didyoumean"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Mapping is the data matching: which profile column feeds which SendGrid contact field.
// Email is required (the snapshot of earlier runs keys contacts by email); the other reserved
// fields and SendGrid's other identifiers (phone_number_id, external_id, anonymous_id) are
// optional ("" = not mapped). Custom maps a SendGrid custom field name to a column.
type Mapping struct {
	Email               string
	FirstName           string
	LastName            string
	Country             string
	StateProvinceRegion string
	City                string
	PostalCode          string
	PhoneNumberID       string
	ExternalID          string
	AnonymousID         string
	Custom              map[string]string
}

// PendingField is a custom field definition not yet in SendGrid but managed in the same
// configuration (it will exist at apply). Plan accepts mappings to it.
type PendingField struct {
	Name string
	Type FieldType
}

// Field is a SendGrid field definition (reserved or custom).
type Field = sendgrid.Field

// slot is one mapped contact field, in canonical order: email, the reserved fields in the order
// of reservedSpecs, then custom fields by name.
type slot struct {
	name     string // SendGrid field name ("first_name", or the custom field's name in SendGrid)
	custom   bool
	typ      FieldType
	maxLen   int
	column   string
	id       string // SendGrid field ID; "" while a pending field does not exist yet
	pending  bool
	attr     Attribute
	jsonName string // JSON member name: reserved name, or the custom field ID
	// check, when set, validates a non-empty text value (SendGrid's identifier rules).
	check func(string) (Reason, string)
}

type reservedSpec struct {
	attr   string
	maxLen int
	get    func(*Mapping) string
	check  func(string) (Reason, string)
}

// reservedSpecs lists the reserved fields in canonical order; attr is also SendGrid's field name.
var reservedSpecs = []reservedSpec{
	{"email", MaxEmailLength, func(m *Mapping) string { return m.Email }, nil},
	{"first_name", MaxFirstNameLength, func(m *Mapping) string { return m.FirstName }, nil},
	{"last_name", MaxLastNameLength, func(m *Mapping) string { return m.LastName }, nil},
	{"country", MaxCountryLength, func(m *Mapping) string { return m.Country }, nil},
	{"state_province_region", MaxStateProvinceRegionLength, func(m *Mapping) string { return m.StateProvinceRegion }, nil},
	{"city", MaxCityLength, func(m *Mapping) string { return m.City }, nil},
	{"postal_code", 0, func(m *Mapping) string { return m.PostalCode }, nil},
	{"phone_number_id", 0, func(m *Mapping) string { return m.PhoneNumberID }, checkPhoneNumberID},
	{"external_id", MaxIdentifierLength, func(m *Mapping) string { return m.ExternalID }, checkIdentifier},
	{"anonymous_id", MaxIdentifierLength, func(m *Mapping) string { return m.AnonymousID }, checkIdentifier},
}

// resolveSlots builds the slots from the mapping and SendGrid's field definitions. Custom field
// names match SendGrid's case-insensitively (SendGrid keeps them unique ignoring case). A field
// missing in SendGrid but listed in pending gets a slot without ID.
func resolveSlots(m *Mapping, custom, reserved []Field, pending []PendingField, maxText int) ([]slot, ConfigErrors) {
	slots, errs := reservedSlots(m, reserved)
	names := make([]string, 0, len(m.Custom))
	for n := range m.Custom {
		names = append(names, n)
	}
	sort.Strings(names)
	byName := map[string]Field{}
	for _, f := range custom {
		byName[strings.ToLower(f.Name)] = f
	}
	pend := map[string]PendingField{}
	for _, f := range pending {
		pend[strings.ToLower(f.Name)] = f
	}
	seen := map[string]string{}
	for _, n := range names {
		col := strings.TrimSpace(m.Custom[n])
		p := Attribute{Kind: AttrCustomField, Name: n}
		low := strings.ToLower(n)
		if prev, dup := seen[low]; dup {
			errs = append(errs, &ConfigError{Attr: p, Problem: ProblemDuplicateField, Other: prev})
			continue
		}
		seen[low] = n
		if isReservedName(low, reserved) {
			errs = append(errs, &ConfigError{Attr: p, Problem: ProblemReservedAsCustom})
			continue
		}
		if col == "" {
			errs = append(errs, &ConfigError{Attr: p, Problem: ProblemEmptyColumn})
			continue
		}
		s := slot{name: n, custom: true, column: col, attr: p, maxLen: maxText}
		if f, ok := byName[low]; ok {
			s.name, s.id, s.typ = f.Name, f.ID, f.Type
		} else if pf, ok := pend[low]; ok {
			s.name, s.typ, s.pending = pf.Name, pf.Type, true
		} else {
			errs = append(errs, &ConfigError{Attr: p, Problem: ProblemUnknownField,
				Suggestion: didyoumean.Closest(n, fieldNames(custom))})
			continue
		}
		switch s.typ {
		case FieldText, FieldNumber, FieldDate:
		default:
			errs = append(errs, &ConfigError{Attr: p, Problem: ProblemUnsupportedType, FieldType: s.typ})
			continue
		}
		if s.typ != FieldText {
			s.maxLen = 0
		}
		s.jsonName = s.id
		slots = append(slots, s)
	}
	return slots, errs
}

// reservedSlots builds the slots of the mapped reserved fields, email first.
func reservedSlots(m *Mapping, reserved []Field) ([]slot, ConfigErrors) {
	var errs ConfigErrors
	var slots []slot
	reservedIDs := map[string]string{}
	for _, f := range reserved {
		reservedIDs[strings.ToLower(f.Name)] = f.ID
	}
	for _, rs := range reservedSpecs {
		col := strings.TrimSpace(rs.get(m))
		p := Attribute{Kind: AttrMapping, Name: rs.attr}
		if col == "" {
			if rs.attr == "email" {
				errs = append(errs, &ConfigError{Attr: p, Problem: ProblemEmailUnmapped})
			}
			continue
		}
		slots = append(slots, slot{name: rs.attr, typ: FieldText, maxLen: rs.maxLen, column: col,
			id: reservedIDs[rs.attr], attr: p, jsonName: rs.attr, check: rs.check})
	}
	return slots, errs
}

func isReservedName(low string, reserved []Field) bool {
	for _, rs := range reservedSpecs {
		if rs.attr == low {
			return true
		}
	}
	for _, f := range reserved {
		if strings.ToLower(f.Name) == low {
			return true
		}
	}
	return false
}

func fieldNames(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// Column is a profile column as the mapping sees it.
type Column struct {
	Name string
	Type string // profile.Type: "string", "int", "double", "bool", "timestamp" ("" = unknown)
}

// bindColumns finds each slot's column among a segment's columns. It checks types that can
// never fit (an email column that is not text, a Number field fed by a bool column, ...).
func bindColumns(slots []slot, cols []Column, segName string) ([]int, ConfigErrors) {
	idx := make([]int, len(slots))
	var errs ConfigErrors
	byName := make(map[string]int, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		byName[c.Name] = i
		names[i] = c.Name
	}
	for i, s := range slots {
		j, ok := byName[s.column]
		if !ok {
			errs = append(errs, &ConfigError{Attr: s.attr, Problem: ProblemUnknownColumn, Segment: segName,
				Column: s.column, Suggestion: didyoumean.Closest(s.column, names), Columns: names})
			continue
		}
		idx[i] = j
		t := cols[j].Type
		var bad bool
		switch {
		case s.name == "email" && !s.custom:
			bad = t != "" && t != "string"
		case s.typ == FieldNumber:
			bad = t == "bool" || t == "timestamp"
		case s.typ == FieldDate:
			bad = t == "bool" || t == "int" || t == "double"
		}
		if bad {
			errs = append(errs, &ConfigError{Attr: s.attr, Problem: ProblemColumnType, Segment: segName,
				Column: s.column, ColumnType: t, Field: s.name, FieldType: s.typ})
		}
	}
	return idx, errs
}
