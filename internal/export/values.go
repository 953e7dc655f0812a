package export

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Reason says why a value was refused. Reasons are stable identifiers (they appear in reports
// and plans as "<field>: <reason>").
type Reason string

// Reasons a profile is invalid.
const (
	ReasonEmailMissing Reason = "missing"      // no email value (NULL, empty or blank)
	ReasonEmailInvalid Reason = "invalid"      // not an address SendGrid accepts (see NormalizeEmail)
	ReasonEmailTooLong Reason = "too_long"     // more than 254 characters
	ReasonTooLong      Reason = "too_long"     // longer than the field's maximum length
	ReasonNotText      Reason = "invalid_text" // invalid UTF-8, a NUL character, NaN/Inf, or a value with no text form
	ReasonNotNumber    Reason = "not_a_number"
	ReasonNotDate      Reason = "not_a_date"
	ReasonNotE164      Reason = "not_e164"          // a phone_number_id that is not an E.164 number
	ReasonControlChar  Reason = "control_character" // an identifier holding a control character
	// ReasonColumnType: a source value that does not fit its column's type (profile.Row.Invalid).
	ReasonColumnType Reason = "wrong_type_for_column"
)

// FieldType is a SendGrid custom field type.
type FieldType = sendgrid.FieldType

// The SendGrid field types.
const (
	FieldText   = sendgrid.FieldText
	FieldNumber = sendgrid.FieldNumber
	FieldDate   = sendgrid.FieldDate
)

// Maximum lengths, in characters, from SendGrid's contacts API (ContactRequest maxLength).
// postal_code has no maxLength in the API description, so none is enforced for it.
// SendGrid documents no maximum for Text custom field values; the engine applies
// DefaultMaxTextLength (Engine.MaxTextLength) so that an unreasonably long value is reported
// at plan time rather than silently truncated or refused by a job.
const (
	MaxFirstNameLength           = 50
	MaxLastNameLength            = 50
	MaxCountryLength             = 50
	MaxStateProvinceRegionLength = 50
	MaxCityLength                = 60
	DefaultMaxTextLength         = 1000
	// MaxIdentifierLength is the maxLength of external_id and anonymous_id (spec: ContactRequest).
	MaxIdentifierLength = 254
)

// checkPhoneNumberID checks a phone_number_id: SendGrid requires "a valid phone number" (spec:
// ContactRequest.phone_number_id); the engine accepts E.164 only — "+", then 8 to 15 digits, the
// first not 0 — so that no value is sent in a form SendGrid may read differently.
func checkPhoneNumberID(s string) (Reason, string) {
	ok := len(s) >= 9 && len(s) <= 16 && s[0] == '+' && s[1] != '0'
	for i := 1; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return ReasonNotE164, "phone_number_id must be an E.164 number: + then 8 to 15 digits, the first not 0 (e.g. +14155550100)"
	}
	return "", ""
}

// checkIdentifier checks an external_id or anonymous_id (already valid UTF-8 without NUL, and
// length-checked by the slot): no control characters, which could not round-trip through a
// CSV import or be matched by another integration.
func checkIdentifier(s string) (Reason, string) {
	for _, r := range s {
		if unicode.IsControl(r) {
			return ReasonControlChar, "identifiers must not contain control characters (tabs, line breaks, ...)"
		}
	}
	return "", ""
}

// textValue converts a source value to the text SendGrid receives for a Text field. nil and ""
// give ok=true with s=="" (no value: the field is left out of the upload and SendGrid keeps
// what it has).
func textValue(v any) (s string, r Reason) {
	switch x := v.(type) {
	case nil:
		return "", ""
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		return strconv.FormatInt(x, 10), ""
	case int:
		return strconv.Itoa(x), ""
	case int32:
		return strconv.FormatInt(int64(x), 10), ""
	case uint64:
		return strconv.FormatUint(x, 10), ""
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", ReasonNotText
		}
		return formatFloat(x), ""
	case float32:
		return textValue(float64(x))
	case bool:
		return strconv.FormatBool(x), ""
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), ""
	default:
		return "", ReasonNotText
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return "", ReasonNotText
	}
	return s, ""
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// numberValue converts a source value for a Number field: a finite number, or a string holding a
// decimal number (optional sign, digits, optional fraction, optional exponent; surrounding white
// space ignored). The result is the canonical JSON number text.
func numberValue(v any) (string, Reason) {
	b, r := appendNumber(nil, v)
	return string(b), r
}

// appendNumber is numberValue appending to dst (no allocation for the common types).
func appendNumber(dst []byte, v any) ([]byte, Reason) {
	switch x := v.(type) {
	case nil:
		return dst, ""
	case int64:
		return strconv.AppendInt(dst, x, 10), ""
	case int:
		return strconv.AppendInt(dst, int64(x), 10), ""
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), ""
	case uint64:
		return strconv.AppendUint(dst, x, 10), ""
	case float32:
		return appendNumber(dst, float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, ReasonNotNumber
		}
		return appendFloat(dst, x), ""
	case []byte:
		return appendNumber(dst, string(x))
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return dst, ""
		}
		if !decimalSyntax(s) {
			return dst, ReasonNotNumber
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.AppendInt(dst, i, 10), ""
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return dst, ReasonNotNumber
		}
		return appendFloat(dst, f), ""
	}
	return dst, ReasonNotNumber
}

func appendFloat(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// decimalSyntax accepts [+-]? digits [. digits]? ([eE] [+-]? digits)? and .5 / 5. forms; it
// refuses what strconv would also accept but SendGrid would not (hex, underscores, Inf, NaN).
func decimalSyntax(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// DateLayout is the form Date values are sent in: SendGrid's documented custom-field date
// format, which both the JSON upsert and the CSV import accept.
const DateLayout = "01/02/2006"

// dateValue converts a source value for a Date field. Accepted: a time value (its UTC date), or a
// string in one of the forms SendGrid accepts for dates: YYYY-MM-DD, RFC 3339 date-time (its
// UTC date), or MM/DD/YYYY (also M/D/YYYY). The result is the date as MM/DD/YYYY.
func dateValue(v any) (string, Reason) {
	b, r := appendDate(nil, v)
	return string(b), r
}

// appendDate is dateValue appending to dst.
func appendDate(dst []byte, v any) ([]byte, Reason) {
	switch x := v.(type) {
	case nil:
		return dst, ""
	case time.Time:
		return x.UTC().AppendFormat(dst, DateLayout), ""
	case []byte:
		return appendDate(dst, string(x))
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return dst, ""
		}
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return t.AppendFormat(dst, DateLayout), ""
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC().AppendFormat(dst, DateLayout), ""
		}
		if t, err := time.Parse("1/2/2006", s); err == nil {
			return t.AppendFormat(dst, DateLayout), ""
		}
		return dst, ReasonNotDate
	}
	return dst, ReasonNotDate
}
