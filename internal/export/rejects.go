package export

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// A PUT /v3/marketing/contacts with one contact SendGrid refuses is answered 400 and applies
// nothing (spec: "an HTTP 4XX error containing validation errors"). The engine isolates the
// refused contacts and sends the rest: by the error body's field references ("contacts[3].email")
// when each names a contact of the request, otherwise by splitting the batch in halves. The
// number of requests one batch may cost this way is bounded (isolateBudget); contacts still not
// sent then are left for the next run.

// ReasonRejected marks a contact SendGrid refused in an upsert (Report.Rejected).
const ReasonRejected Reason = "rejected_by_sendgrid"

// isolateBudget bounds the extra upsert requests spent isolating refused contacts of one batch.
const isolateBudget = 64

// ReasonRejected rows are reported with this position: SendGrid names contacts by their place
// in the request, not by source row.
const rejectedPos = "upsert"

// contactRef matches a field reference to a contact of the request: contacts[3].email,
// contacts.3.email, contacts[3].
var contactRef = regexp.MustCompile(`^contacts(?:\[(\d+)\]|\.(\d+))(?:\.([A-Za-z0-9_.\[\]]+))?$`)

// putPart is a part of an upsert batch: its contacts' JSON (slices of the batch body) and
// snapshot entries.
type putPart struct {
	recs    [][]byte
	entries []snapshot.Entry
	raw     []byte // the body, when already built
}

// body returns the PUT /v3/marketing/contacts body of the part.
func (p putPart) body(listID string) []byte {
	if p.raw != nil {
		return p.raw
	}
	n := len(bodyPrefix(listID)) + len(bodySuffix)
	for _, r := range p.recs {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, bodyPrefix(listID)...)
	for i, r := range p.recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, bodySuffix...)
}

func (p putPart) split(at int) (putPart, putPart) {
	return putPart{recs: p.recs[:at], entries: p.entries[:at]}, putPart{recs: p.recs[at:], entries: p.entries[at:]}
}

// refusal is what a 400 says about the contacts of the request.
type refusal struct {
	byIndex map[int]string // contact index -> "field: message"
	// contactLevel is true when every error names a contact of the request.
	contactLevel bool
	// requestLevel is true when an error names something other than a contact (list_ids, ...).
	requestLevel bool
}

func readRefusal(err error, n int) refusal {
	var ae *sendgrid.APIError
	r := refusal{byIndex: map[int]string{}}
	if !errors.As(err, &ae) || len(ae.Errors) == 0 {
		return r
	}
	r.contactLevel = true
	for _, it := range ae.Errors {
		m := contactRef.FindStringSubmatch(strings.TrimSpace(it.Field))
		if m == nil {
			r.contactLevel = false
			if it.Field != "" && !strings.HasPrefix(it.Field, "contacts") {
				r.requestLevel = true
			}
			continue
		}
		k, convErr := strconv.Atoi(m[1] + m[2])
		if convErr != nil || k < 0 || k >= n {
			r.contactLevel = false
			continue
		}
		msg := scrubMessage(it.Message)
		if m[3] != "" {
			msg = m[3] + ": " + msg
		}
		if _, seen := r.byIndex[k]; !seen {
			r.byIndex[k] = msg
		}
	}
	return r
}

// upsertPart sends one part of an upsert batch; on a 400 it isolates the refused contacts and
// sends the others. started is called for each accepted request's job.
func (a *applier) upsertPart(ctx context.Context, p putPart, budget *int, started func(jobID string, entries []snapshot.Entry)) {
	n := int64(len(p.entries))
	jobID, err := a.e.Client.UpsertContactsJSON(ctx, p.body(a.listID))
	if err == nil {
		started(jobID, p.entries)
		return
	}
	if !sendgrid.IsBadRequest(err) || ctx.Err() != nil {
		a.problem("upsert not confirmed: "+errMessage(err), n)
		a.count(0, 0, n)
		a.markUnsure(p.entries)
		return
	}
	ref := readRefusal(err, len(p.entries))
	switch {
	case ref.requestLevel:
		// The request as a whole was refused (not a contact): nothing was applied.
		a.problem("upsert refused: "+errMessage(err), n)
		a.count(0, 0, n)
	case ref.contactLevel && len(ref.byIndex) > 0:
		var rest putPart
		for i := range p.entries {
			if msg, bad := ref.byIndex[i]; bad {
				a.reject(p.recs[i], msg)
			} else {
				rest.recs, rest.entries = append(rest.recs, p.recs[i]), append(rest.entries, p.entries[i])
			}
		}
		if len(rest.entries) > 0 {
			a.retryPart(ctx, rest, budget, started)
		}
	case len(p.entries) == 1:
		a.reject(p.recs[0], scrubMessage(messages(err)))
	default:
		l, r := p.split(len(p.entries) / 2)
		a.retryPart(ctx, l, budget, started)
		a.retryPart(ctx, r, budget, started)
	}
}

// retryPart sends a part again if the batch's budget allows, else leaves it for the next run.
func (a *applier) retryPart(ctx context.Context, p putPart, budget *int, started func(string, []snapshot.Entry)) {
	if *budget <= 0 {
		n := int64(len(p.entries))
		a.problem("upsert refused and the refused contacts could not be isolated; left for the next run", n)
		a.count(0, 0, n)
		return
	}
	*budget--
	a.upsertPart(ctx, p, budget, started)
}

func messages(err error) string {
	var ae *sendgrid.APIError
	if errors.As(err, &ae) {
		return ae.Messages()
	}
	return err.Error()
}

// reject records a contact SendGrid refused: reported (masked), counted as errored, and not
// confirmed, so that the run ends partial and the next run sends it again (it is refused again
// until its data is fixed), as rows a job rejects.
func (a *applier) reject(rec []byte, msg string) {
	var c struct {
		Email string `json:"email"`
	}
	_ = json.Unmarshal(rec, &c)
	field := "contact"
	if f, m, ok := strings.Cut(msg, ": "); ok && !strings.Contains(f, " ") {
		field, msg = f, m
	}
	if msg == "" {
		msg = "refused"
	}
	a.problem("SendGrid refused a contact in an upsert ("+field+": "+msg+")", 1)
	a.count(0, 0, 1)
	a.mu.Lock()
	if len(a.rep.Rejected) < a.e.sampleLimit() {
		a.rep.Rejected = append(a.rep.Rejected, InvalidRow{Pos: rejectedPos, InvalidField: InvalidField{Field: field,
			Reason: ReasonRejected, Masked: privacy.MaskEmail(c.Email), Detail: msg}})
	}
	a.mu.Unlock()
}
