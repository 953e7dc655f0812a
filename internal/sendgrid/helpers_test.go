package sendgrid

// Client methods the tests use and the product does not.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// IsTooLarge reports whether err is a SendGrid 413 (request body over the endpoint's limit).
func IsTooLarge(err error) bool { return statusIs(err, http.StatusRequestEntityTooLarge) }

// BaseURL returns the API base URL the client sends to.
func (c *Client) BaseURL() string { return c.base }

// UpsertContacts adds or updates up to MaxUpsertContacts contacts and adds them to listIDs
// (PUT /v3/marketing/contacts). SendGrid processes them asynchronously: poll the returned job
// with ImportStatus or WaitImport.
func (c *Client) UpsertContacts(ctx context.Context, listIDs []string, contacts []Contact) (string, error) {
	if len(contacts) == 0 {
		return "", errors.New("sendgrid: no contacts to upsert")
	}
	if len(contacts) > MaxUpsertContacts {
		return "", fmt.Errorf("sendgrid: %d contacts in one upsert; SendGrid accepts at most %d", len(contacts), MaxUpsertContacts)
	}
	body, err := json.Marshal(struct {
		ListIDs  []string  `json:"list_ids,omitempty"`
		Contacts []Contact `json:"contacts"`
	}{listIDs, contacts})
	if err != nil {
		return "", fmt.Errorf("sendgrid: encoding contacts: %w", err)
	}
	return c.UpsertContactsJSON(ctx, body)
}

// WaitImport polls a job until it is completed, errored or failed, starting at poll and backing
// off (×1.5, at most 10 s between polls). The job's final state is returned with a nil error
// whatever that state is; errors are transport, API and context errors.
func (c *Client) WaitImport(ctx context.Context, jobID string, poll time.Duration) (ImportJob, error) {
	return pollUntil(ctx, poll, func() (ImportJob, error) { return c.ImportStatus(ctx, jobID) }, ImportJob.Done)
}
