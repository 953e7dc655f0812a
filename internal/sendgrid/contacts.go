package sendgrid

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/wait"
)

// Contact is one contact in SendGrid's upsert shape. Empty reserved fields are left out of the
// request, so SendGrid keeps whatever value it holds; custom fields are keyed by field ID and hold
// a string (Text, Date) or a number (Number).
type Contact struct {
	Email               string         `json:"email,omitempty"`
	FirstName           string         `json:"first_name,omitempty"`
	LastName            string         `json:"last_name,omitempty"`
	Country             string         `json:"country,omitempty"`
	StateProvinceRegion string         `json:"state_province_region,omitempty"`
	City                string         `json:"city,omitempty"`
	PostalCode          string         `json:"postal_code,omitempty"`
	CustomFields        map[string]any `json:"custom_fields,omitempty"`
}

// UpsertContactsJSON sends a pre-serialized upsert body {"list_ids":[…],"contacts":[…]} as it is
// (no re-encoding). The body must stay within MaxUpsertBytes. The request is repeated on 429,
// 5xx and broken connections: an upsert is idempotent by email.
func (c *Client) UpsertContactsJSON(ctx context.Context, body []byte) (string, error) {
	if len(body) == 0 {
		return "", errors.New("sendgrid: empty upsert body")
	}
	if len(body) > MaxUpsertBytes {
		return "", fmt.Errorf("sendgrid: upsert body is %d bytes; SendGrid accepts at most %d", len(body), MaxUpsertBytes)
	}
	r := api("PUT /v3/marketing/contacts", idempotent)
	r.body, r.header = body, map[string]string{"Content-Type": "application/json"}
	out, err := call[struct {
		JobID string `json:"job_id"`
	}](ctx, c, r)
	if err != nil {
		return "", err
	}
	if out.JobID == "" {
		return "", errors.New("sendgrid: PUT /v3/marketing/contacts: response has no job_id")
	}
	return out.JobID, nil
}

// Import job states.
const (
	JobPending   = "pending"
	JobCompleted = "completed" // finished without errors
	JobErrored   = "errored"   // finished with some errors (see ErrorsURL)
	JobFailed    = "failed"    // every row errored, or the job could not be processed
)

// ImportJob is the state of an asynchronous contacts job (upsert, CSV import or deletion).
type ImportJob struct {
	ID     string
	Status string // pending | completed | errored | failed
	// JobType is informational only: SendGrid documents upsert and delete, recorded responses
	// show upsert_contacts; nothing here or in callers may depend on its value.
	JobType    string
	Requested  int64
	Created    int64
	Updated    int64
	Deleted    int64
	Errored    int64
	ErrorsURL  string
	StartedAt  string
	FinishedAt string
}

// Done reports whether the job reached a final state.
func (j ImportJob) Done() bool {
	return j.Status == JobCompleted || j.Status == JobErrored || j.Status == JobFailed
}

func toInt(f float64) int64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return int64(math.Round(f))
}

// ImportStatus reads a job's state (GET /v3/marketing/contacts/imports/{id}).
func (c *Client) ImportStatus(ctx context.Context, jobID string) (ImportJob, error) {
	if err := checkID("job", jobID); err != nil {
		return ImportJob{}, err
	}
	out, err := call[struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		JobType string `json:"job_type"`
		Results struct {
			Requested float64 `json:"requested_count"`
			Created   float64 `json:"created_count"`
			Updated   float64 `json:"updated_count"`
			Deleted   float64 `json:"deleted_count"`
			Errored   float64 `json:"errored_count"`
			ErrorsURL string  `json:"errors_url"`
		} `json:"results"`
		StartedAt  string `json:"started_at"`
		FinishedAt string `json:"finished_at"`
	}](ctx, c, api("GET /v3/marketing/contacts/imports/{id}", idempotent, jobID))
	if err != nil {
		return ImportJob{}, err
	}
	j := ImportJob{
		ID: out.ID, Status: out.Status, JobType: out.JobType,
		Requested: toInt(out.Results.Requested), Created: toInt(out.Results.Created), Updated: toInt(out.Results.Updated),
		Deleted: toInt(out.Results.Deleted), Errored: toInt(out.Results.Errored), ErrorsURL: out.Results.ErrorsURL,
		StartedAt: out.StartedAt, FinishedAt: out.FinishedAt,
	}
	if j.ID == "" {
		j.ID = jobID
	}
	return j, nil
}

// pollUntil calls status until final reports its result final, and returns that result.
// It waits poll (250 ms when not set) after the first call and half as long again after each
// next one, at most 10 s (or poll, when longer). Errors are status's and the context's.
func pollUntil[T any](ctx context.Context, poll time.Duration, status func() (T, error), final func(T) bool) (T, error) {
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	maxPoll := max(10*time.Second, poll)
	for {
		v, err := status()
		if err != nil || final(v) {
			return v, err
		}
		if err := wait.Sleep(ctx, poll); err != nil {
			return v, err
		}
		poll = min(poll+poll/2, maxPoll)
	}
}

// ImportErrorRow is one row reported in a job's errors file.
type ImportErrorRow struct {
	Email   string
	Message string
}

// ImportErrors downloads and parses a job's errors_url. The file is CSV with a header (a column
// "email" and one of "message", "error", "errors", "reason") or JSON (an array of objects with
// those keys, or {"errors":[…]}), optionally gzip-compressed. The API key is not sent.
func (c *Client) ImportErrors(ctx context.Context, errorsURL string) ([]ImportErrorRow, error) {
	rc, err := c.download(ctx, "GET errors_url", errorsURL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(io.LimitReader(rc, 512<<20))
	if err != nil {
		return nil, fmt.Errorf("sendgrid: reading errors file: %w", err)
	}
	return parseImportErrors(data)
}

func parseImportErrors(data []byte) ([]ImportErrorRow, error) {
	trim := bytes.TrimSpace(data)
	if len(trim) == 0 {
		return nil, nil
	}
	if trim[0] == '[' || trim[0] == '{' {
		type row struct {
			Email   string `json:"email"`
			Message string `json:"message"`
			Error   string `json:"error"`
			Errors  any    `json:"errors"`
			Reason  string `json:"reason"`
		}
		var rows []row
		if trim[0] == '{' {
			var wrap struct {
				Errors []row `json:"errors"`
			}
			if err := json.Unmarshal(trim, &wrap); err != nil {
				return nil, fmt.Errorf("sendgrid: errors file is not valid JSON: %v", err)
			}
			rows = wrap.Errors
		} else if err := json.Unmarshal(trim, &rows); err != nil {
			return nil, fmt.Errorf("sendgrid: errors file is not valid JSON: %v", err)
		}
		out := make([]ImportErrorRow, 0, len(rows))
		for _, r := range rows {
			m := r.Message
			if m == "" {
				m = r.Error
			}
			if m == "" {
				m = r.Reason
			}
			if m == "" && r.Errors != nil {
				m = fmt.Sprint(r.Errors)
			}
			out = append(out, ImportErrorRow{Email: r.Email, Message: scrub(m)})
		}
		return out, nil
	}
	cr := csv.NewReader(bytes.NewReader(trim))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("sendgrid: errors file is not valid CSV: %v", err)
	}
	emailCol, msgCol := -1, -1
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case h == "email" && emailCol < 0:
			emailCol = i
		case (h == "message" || h == "error" || h == "errors" || h == "reason") && msgCol < 0:
			msgCol = i
		}
	}
	if emailCol < 0 && msgCol < 0 {
		return nil, errors.New("sendgrid: errors file has neither an email nor a message column")
	}
	var out []ImportErrorRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("sendgrid: errors file is not valid CSV: %v", err)
		}
		var row ImportErrorRow
		if emailCol >= 0 && emailCol < len(rec) {
			row.Email = rec[emailCol]
		}
		if msgCol >= 0 && msgCol < len(rec) {
			row.Message = scrub(rec[msgCol])
		}
		out = append(out, row)
	}
}

// CSVImport is a started CSV import: PUT the file to UploadURI with UploadHeaders.
type CSVImport struct {
	JobID         string
	UploadURI     string
	UploadHeaders map[string]string
}

// StartCSVImport starts a CSV import (PUT /v3/marketing/contacts/imports). fieldMappings has one
// entry per CSV column: a field ID (reserved "_rf…" or custom) or "" to skip the column. It is
// not repeated after an ambiguous failure (a *TransportError with Sent set): the import may
// have been started, and a repeat would start another; an import whose file never comes
// applies nothing. The file is uploaded gzip-compressed (see UploadCSV).
func (c *Client) StartCSVImport(ctx context.Context, listIDs []string, fieldMappings []string) (CSVImport, error) {
	if len(fieldMappings) == 0 {
		return CSVImport{}, errors.New("sendgrid: a CSV import needs at least one field mapping")
	}
	maps := make([]*string, len(fieldMappings))
	for i := range fieldMappings {
		if fieldMappings[i] != "" {
			maps[i] = &fieldMappings[i]
		}
	}
	// Not repeated after an ambiguous failure: each request starts a new import job.
	r, err := api("PUT /v3/marketing/contacts/imports", once).withJSON(struct {
		ListIDs       []string  `json:"list_ids,omitempty"`
		FileType      string    `json:"file_type"`
		FieldMappings []*string `json:"field_mappings"`
	}{listIDs, "csv", maps})
	if err != nil {
		return CSVImport{}, err
	}
	out, err := call[struct {
		JobID         string `json:"job_id"`
		UploadURI     string `json:"upload_uri"`
		UploadHeaders []struct {
			Header string `json:"header"`
			Value  string `json:"value"`
		} `json:"upload_headers"`
	}](ctx, c, r)
	if err != nil {
		return CSVImport{}, err
	}
	if out.UploadURI == "" {
		return CSVImport{}, errors.New("sendgrid: PUT /v3/marketing/contacts/imports: response has no upload_uri")
	}
	imp := CSVImport{JobID: out.JobID, UploadURI: out.UploadURI, UploadHeaders: map[string]string{}}
	for _, h := range out.UploadHeaders {
		imp.UploadHeaders[h.Header] = h.Value
	}
	return imp, nil
}

// UploadCSV PUTs the CSV file to the import's upload URI with exactly its upload headers and
// nothing else a presigned URL's signature may not cover: no API key, no Content-Type or
// Content-Encoding of its own, no other x-amz-* header (real imports return
// x-amz-server-side-encryption: aws:kms for a presigned storage URL, and such a URL refuses
// headers its signature does not cover). A body not compressed yet is gzip-compressed here
// (SendGrid reads gzip files by their content). The upload is repeated after broken connections
// and 5xx answers.
func (c *Client) UploadCSV(ctx context.Context, imp CSVImport, body []byte) error {
	if err := checkOutsideURL(imp.UploadURI); err != nil {
		return err
	}
	if !isGzip(body) {
		var buf bytes.Buffer
		buf.Grow(len(body) / 4)
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if _, err := zw.Write(body); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		body = buf.Bytes()
	}
	hdr := make(map[string]string, len(imp.UploadHeaders))
	for k, v := range imp.UploadHeaders {
		hdr[k] = v
	}
	r := transfer("PUT upload_uri", imp.UploadURI, idempotent)
	r.body, r.header = body, hdr
	return exec(ctx, c, r)
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

func checkOutsideURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("sendgrid: %q is not an http(s) URL", redactURL(raw))
	}
	return nil
}

// redactURL drops the query (presigned tokens) of a URL shown in an error.
func redactURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

// ContactRef is a contact found by SearchEmails.
type ContactRef struct {
	ID      string
	Email   string
	ListIDs []string
	// Contact holds the contact's stored reserved and custom fields.
	Contact Contact
}

// SearchEmails looks up to MaxSearchEmails addresses (POST /v3/marketing/contacts/search/emails)
// and returns the contacts found, keyed by lower-cased email. Addresses not found are absent;
// when none is found the map is empty (SendGrid answers 404).
func (c *Client) SearchEmails(ctx context.Context, emails []string) (map[string]ContactRef, error) {
	if len(emails) == 0 {
		return map[string]ContactRef{}, nil
	}
	if len(emails) > MaxSearchEmails {
		return nil, fmt.Errorf("sendgrid: %d emails in one search; SendGrid accepts at most %d", len(emails), MaxSearchEmails)
	}
	for i, em := range emails {
		if n := utf8.RuneCountInString(em); n > MaxSearchEmailLength {
			return nil, fmt.Errorf("sendgrid: email %d of the search has %d characters; SendGrid searches addresses of at most %d", i+1, n, MaxSearchEmailLength)
		}
	}
	r, err := api("POST /v3/marketing/contacts/search/emails", idempotent).withJSON(map[string][]string{"emails": emails})
	if err != nil {
		return nil, err
	}
	out, err := call[struct {
		Result map[string]struct {
			Contact *struct {
				ID                  string         `json:"id"`
				Email               string         `json:"email"`
				FirstName           string         `json:"first_name"`
				LastName            string         `json:"last_name"`
				Country             string         `json:"country"`
				StateProvinceRegion string         `json:"state_province_region"`
				City                string         `json:"city"`
				PostalCode          string         `json:"postal_code"`
				ListIDs             []string       `json:"list_ids"`
				CustomFields        map[string]any `json:"custom_fields"`
			} `json:"contact"`
			Error string `json:"error"`
		} `json:"result"`
	}](ctx, c, r)
	if statusIs(err, http.StatusNotFound) {
		return map[string]ContactRef{}, nil
	}
	if err != nil {
		return nil, err
	}
	found := make(map[string]ContactRef, len(out.Result))
	for key, v := range out.Result {
		if v.Contact == nil || v.Contact.ID == "" {
			continue
		}
		ct := v.Contact
		email := strings.ToLower(ct.Email)
		if email == "" {
			email = strings.ToLower(key)
		}
		found[email] = ContactRef{ID: ct.ID, Email: email, ListIDs: ct.ListIDs, Contact: Contact{
			Email: email, FirstName: ct.FirstName, LastName: ct.LastName, Country: ct.Country,
			StateProvinceRegion: ct.StateProvinceRegion, City: ct.City, PostalCode: ct.PostalCode, CustomFields: ct.CustomFields,
		}}
	}
	return found, nil
}
