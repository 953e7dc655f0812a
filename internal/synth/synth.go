// Package synth generates synthetic customer profiles for tests, demos and benchmarks. The
// profiles look realistic (names, addresses with real cities and postal-code shapes, plans,
// lifetime values) but are obviously synthetic: every address is at example.com, example.org
// or example.net and carries the row number, and the names come from a small built-in list.
//
// Generation is deterministic and random-access: Profile(i) depends only on the options and i,
// so a data set of any size is produced in constant memory and the same seed always gives the
// same bytes. Options choose exact numbers of invalid rows (by kind) and of duplicate emails,
// and an edit percentage that changes an exact number of rows relative to the unedited data
// set, for incremental-run tests.
package synth

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// Columns are the columns of a generated data set, in order.
var Columns = []profile.Column{
	{Name: "email", Type: profile.TypeString},
	{Name: "first_name", Type: profile.TypeString},
	{Name: "last_name", Type: profile.TypeString},
	{Name: "country", Type: profile.TypeString},
	{Name: "state_province_region", Type: profile.TypeString},
	{Name: "city", Type: profile.TypeString},
	{Name: "postal_code", Type: profile.TypeString},
	{Name: "plan", Type: profile.TypeString},
	{Name: "lifetime_value", Type: profile.TypeDouble},
	{Name: "signup_date", Type: profile.TypeString}, // YYYY-MM-DD
	{Name: "marketing_opt_in", Type: profile.TypeBool},
}

// InvalidKind says how an invalid row breaks SendGrid's rules.
type InvalidKind string

// The kinds of invalid rows, used in turn.
const (
	EmailMissingAt   InvalidKind = "email_missing_at"    // no @ in the address
	EmailEmpty       InvalidKind = "email_empty"         // empty email
	EmailWithSpace   InvalidKind = "email_with_space"    // a space inside the local part
	EmailTooLong     InvalidKind = "email_too_long"      // over 254 characters
	FirstNameTooLong InvalidKind = "first_name_too_long" // over 50 characters
	LastNameTooLong  InvalidKind = "last_name_too_long"  // over 50 characters
	CityTooLong      InvalidKind = "city_too_long"       // over 60 characters
)

// InvalidKinds lists every kind, in the order they are assigned to invalid rows.
var InvalidKinds = []InvalidKind{EmailMissingAt, EmailEmpty, EmailWithSpace, EmailTooLong, FirstNameTooLong, LastNameTooLong, CityTooLong}

// Options describe a data set.
type Options struct {
	// Count is the number of rows.
	Count int
	// Seed selects the data set; equal options give equal data.
	Seed int64
	// InvalidFraction (0..1) of the rows is invalid: exactly round(Count*InvalidFraction)
	// rows, spread over the file, their kinds taken from InvalidKinds in turn.
	InvalidFraction float64
	// DuplicateFraction (0..1) of the rows repeats the email of another, valid and unique row:
	// exactly round(Count*DuplicateFraction) rows. Every other duplicate writes the address
	// with different letter case (User…@Example.com), as real data does. Invalid and
	// duplicate rows are disjoint.
	DuplicateFraction float64
	// EditPercent (0..100) of the rows differs from the data set with EditPercent 0: exactly
	// round(Count*EditPercent/100) rows keep their email but get a different lifetime value
	// and usually plan, city and opt-in. Which rows depends on EditSeed (0 means 1), so
	// successive edits of one data set can be made with EditSeed 1, 2, ...
	EditPercent float64
	EditSeed    int64
}

// Profile is one generated row.
type Profile struct {
	Email               string
	FirstName           string
	LastName            string
	Country             string
	StateProvinceRegion string
	City                string
	PostalCode          string
	Plan                string
	LifetimeValue       float64
	SignupDate          string // YYYY-MM-DD
	MarketingOptIn      bool

	Invalid     InvalidKind // "" for a valid row
	DuplicateOf int         // index of the row whose email this row repeats, or -1
	Edited      bool        // changed by Options.EditPercent
}

// Values returns the profile's values in the order of Columns (string, float64, bool),
// appending to dst.
func (p *Profile) Values(dst []any) []any {
	return append(dst, p.Email, p.FirstName, p.LastName, p.Country, p.StateProvinceRegion, p.City,
		p.PostalCode, p.Plan, p.LifetimeValue, p.SignupDate, p.MarketingOptIn)
}

// Stats are the exact counts of a data set, known without generating it.
type Stats struct {
	Rows           int
	Invalid        int
	InvalidByKind  map[InvalidKind]int
	Duplicates     int
	Edited         int
	DistinctEmails int // distinct addresses, ignoring letter case, among rows with a valid email
	ValidUnique    int // rows that are valid and not duplicates: what an export uploads
}

// Generator produces a data set.
type Generator struct {
	opts                      Options
	n, nInvalid, nDup, nEdit  int
	perm, editPerm            *permutation
	seed, editSeed, valueSeed uint64
}

// New checks the options and returns a generator.
func New(opts Options) (*Generator, error) {
	switch {
	case opts.Count < 0:
		return nil, errors.New("synth: Count must not be negative")
	case opts.InvalidFraction < 0 || opts.InvalidFraction > 1 || math.IsNaN(opts.InvalidFraction):
		return nil, errors.New("synth: InvalidFraction must be between 0 and 1")
	case opts.DuplicateFraction < 0 || opts.DuplicateFraction > 1 || math.IsNaN(opts.DuplicateFraction):
		return nil, errors.New("synth: DuplicateFraction must be between 0 and 1")
	case opts.EditPercent < 0 || opts.EditPercent > 100 || math.IsNaN(opts.EditPercent):
		return nil, errors.New("synth: EditPercent must be between 0 and 100")
	}
	g := &Generator{opts: opts, n: opts.Count}
	g.nInvalid = int(math.Round(float64(g.n) * opts.InvalidFraction))
	g.nDup = int(math.Round(float64(g.n) * opts.DuplicateFraction))
	g.nEdit = int(math.Round(float64(g.n) * opts.EditPercent / 100))
	if g.nInvalid+g.nDup > g.n || (g.nDup > 0 && g.nInvalid+g.nDup == g.n) {
		return nil, fmt.Errorf("synth: %d invalid and %d duplicate rows leave no valid unique row of %d to duplicate", g.nInvalid, g.nDup, g.n)
	}
	editSeed := opts.EditSeed
	if editSeed == 0 {
		editSeed = 1
	}
	g.seed = mix(uint64(opts.Seed) ^ 0x5eed5eed5eed5eed)
	g.valueSeed = mix(g.seed + 1)
	g.editSeed = mix(g.seed ^ mix(uint64(editSeed)+0xed17))
	g.perm = newPermutation(uint64(g.n), g.seed)
	g.editPerm = newPermutation(uint64(g.n), g.editSeed)
	return g, nil
}

// Len returns the number of rows.
func (g *Generator) Len() int { return g.n }

// Stats returns the exact counts of the data set.
func (g *Generator) Stats() Stats {
	s := Stats{Rows: g.n, Invalid: g.nInvalid, Duplicates: g.nDup, Edited: g.nEdit, InvalidByKind: map[InvalidKind]int{}}
	k := len(InvalidKinds)
	for i, kind := range InvalidKinds {
		c := g.nInvalid / k
		if i < g.nInvalid%k {
			c++
		}
		if c > 0 {
			s.InvalidByKind[kind] = c
		}
	}
	s.ValidUnique = g.n - g.nInvalid - g.nDup
	// Rows invalid only by a long name or city still have a valid, unique email.
	s.DistinctEmails = s.ValidUnique + s.InvalidByKind[FirstNameTooLong] + s.InvalidByKind[LastNameTooLong] + s.InvalidByKind[CityTooLong]
	return s
}

// Each calls fn with every profile in order; the *Profile is reused between calls.
func (g *Generator) Each(fn func(i int, p *Profile) error) error {
	var p Profile
	var b builder
	for i := 0; i < g.n; i++ {
		g.fill(i, &p, &b)
		if err := fn(i, &p); err != nil {
			return err
		}
	}
	return nil
}

// Profile returns row i (0-based).
func (g *Generator) Profile(i int) Profile {
	if i < 0 || i >= g.n {
		panic(fmt.Sprintf("synth: row %d out of range [0,%d)", i, g.n))
	}
	var p Profile
	var b builder
	g.fill(i, &p, &b)
	return p
}

// builder holds scratch space for assembling strings.
type builder struct{ buf []byte }

func (g *Generator) fill(i int, p *Profile, b *builder) {
	rank := int(g.perm.forward(uint64(i)))
	*p = Profile{DuplicateOf: -1}
	g.base(i, p, b)
	switch {
	case rank < g.nInvalid:
		p.Invalid = InvalidKinds[rank%len(InvalidKinds)]
		g.breakRow(i, p)
	case rank < g.nInvalid+g.nDup:
		clean := g.n - g.nInvalid - g.nDup
		srcRank := g.nInvalid + g.nDup + int(mix(g.seed^uint64(rank)*0x9e3779b97f4a7c15)%uint64(clean))
		j := int(g.perm.inverse(uint64(srcRank)))
		p.DuplicateOf = j
		p.Email = g.email(j, b)
		if rank%2 == 1 {
			p.Email = mixedCase(p.Email)
		}
	}
	if g.nEdit > 0 && int(g.editPerm.forward(uint64(i))) < g.nEdit {
		p.Edited = true
		g.edit(i, p)
	}
}

// base fills the valid values of row i.
func (g *Generator) base(i int, p *Profile, b *builder) {
	r := rng{s: g.valueSeed ^ uint64(i)*0xd1b54a32d192ed03}
	fi := r.intn(len(firstNames))
	li := r.intn(len(lastNames))
	dom := domains[r.intn(len(domains))]
	p.FirstName = firstNames[fi].name
	p.LastName = lastNames[li].name
	b.buf = append(b.buf[:0], firstNames[fi].slug...)
	b.buf = append(b.buf, '.')
	b.buf = append(b.buf, lastNames[li].slug...)
	b.buf = append(b.buf, '.')
	b.buf = appendPadded(b.buf, i, 7)
	b.buf = append(b.buf, '@')
	b.buf = append(b.buf, dom...)
	p.Email = string(b.buf)
	loc := &places[r.weighted(placeWeights, placeTotal)]
	p.Country, p.StateProvinceRegion, p.City = loc.country, loc.state, loc.city
	p.PostalCode = postal(loc.postal, &r, b)
	p.Plan = plans[r.weighted(planWeights, planTotal)]
	p.LifetimeValue = lifetimeValue(&r, p.Plan)
	p.SignupDate = signupDate(&r)
	p.MarketingOptIn = r.intn(10) < 7
}

// email returns row j's (valid) email.
func (g *Generator) email(j int, b *builder) string {
	var q Profile
	g.base(j, &q, b)
	return q.Email
}

func (g *Generator) breakRow(i int, p *Profile) {
	switch p.Invalid {
	case EmailMissingAt:
		p.Email = strings.Replace(p.Email, "@", ".", 1)
	case EmailEmpty:
		p.Email = ""
	case EmailWithSpace:
		p.Email = strings.Replace(p.Email, ".", " ", 1)
	case EmailTooLong:
		at := strings.IndexByte(p.Email, '@')
		p.Email = p.Email[:at] + "." + strings.Repeat("x", 250) + p.Email[at:]
	case FirstNameTooLong:
		p.FirstName = longName(p.FirstName, 51+i%20)
	case LastNameTooLong:
		p.LastName = longName(p.LastName, 51+i%20)
	case CityTooLong:
		p.City = longName(p.City+" Upon the Long Synthetic River", 61+i%20)
	}
}

// longName repeats s (separated by "-") to exactly n runes.
func longName(s string, n int) string {
	var b strings.Builder
	for b.Len() == 0 || len([]rune(b.String())) < n {
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s)
	}
	return string([]rune(b.String())[:n])
}

func (g *Generator) edit(i int, p *Profile) {
	r := rng{s: g.editSeed ^ uint64(i)*0x9e3779b97f4a7c15}
	old := p.LifetimeValue
	p.Plan = plans[r.weighted(planWeights, planTotal)]
	p.LifetimeValue = lifetimeValue(&r, p.Plan)
	if p.LifetimeValue == old {
		p.LifetimeValue += 1
	}
	if r.intn(3) == 0 {
		p.MarketingOptIn = !p.MarketingOptIn
	}
	if r.intn(4) == 0 && p.Invalid != CityTooLong {
		loc := &places[r.weighted(placeWeights, placeTotal)]
		var b builder
		p.Country, p.StateProvinceRegion, p.City = loc.country, loc.state, loc.city
		p.PostalCode = postal(loc.postal, &r, &b)
	}
}

func mixedCase(email string) string {
	b := []byte(email)
	if len(b) > 0 && b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if at := strings.IndexByte(email, '@'); at >= 0 && at+1 < len(b) && b[at+1] >= 'a' && b[at+1] <= 'z' {
		b[at+1] -= 'a' - 'A'
	}
	return string(b)
}

func appendPadded(dst []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for k := len(s); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func postal(pattern string, r *rng, b *builder) string {
	b.buf = b.buf[:0]
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '#':
			b.buf = append(b.buf, byte('0'+r.intn(10)))
		case '@':
			b.buf = append(b.buf, byte('A'+r.intn(26)))
		default:
			b.buf = append(b.buf, c)
		}
	}
	return string(b.buf)
}

func lifetimeValue(r *rng, plan string) float64 {
	var base float64
	switch plan {
	case "starter":
		base = 40
	case "pro":
		base = 300
	case "enterprise":
		base = 2500
	}
	// A long tail: most customers spend little, a few a lot. Cents, never negative.
	v := base + r.float()*r.float()*base*3 + float64(r.intn(5000))/100
	return math.Round(v*100) / 100
}

func signupDate(r *rng) string {
	// 2015-01-01 .. 2025-12-31, without time zones: a calendar date.
	days := r.intn(4018)
	y, m, d := civil(16436 + days) // 16436 = days from 1970-01-01 to 2015-01-01
	var buf [10]byte
	b := strconv.AppendInt(buf[:0], int64(y), 10)
	b = append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return string(b)
}

// civil converts days since 1970-01-01 to a date (Howard Hinnant's algorithm).
func civil(z int) (int, int, int) {
	z += 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}
