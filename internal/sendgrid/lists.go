package sendgrid

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// List is a Marketing Campaigns contact list.
type List struct {
	ID           string
	Name         string
	ContactCount int64
}

type listJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	ContactCount int64  `json:"contact_count"`
}

func (l listJSON) list() List { return List(l) }

func checkListName(name string) error {
	if n := len([]rune(name)); n < 1 || n > 100 {
		return fmt.Errorf("sendgrid: a list name must have 1 to 100 characters, this one has %d", n)
	}
	return nil
}

func checkID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("sendgrid: %s ID is empty", kind)
	}
	if strings.ContainsAny(id, "/?#% \t\r\n") {
		return fmt.Errorf("sendgrid: %s ID %q contains characters that cannot be part of an ID", kind, id)
	}
	return nil
}

// CreateList creates a list (POST /v3/marketing/lists). It is not repeated after an ambiguous
// failure (the list may have been created); a *TransportError with Sent set says so.
func (c *Client) CreateList(ctx context.Context, name string) (List, error) {
	if err := checkListName(name); err != nil {
		return List{}, err
	}
	r, err := api("POST /v3/marketing/lists", once).withJSON(map[string]string{"name": name})
	if err != nil {
		return List{}, err
	}
	out, err := call[listJSON](ctx, c, r)
	return out.list(), err
}

// GetList reads one list (GET /v3/marketing/lists/{id}); a missing list is an *APIError for
// which IsNotFound is true.
func (c *Client) GetList(ctx context.Context, id string) (List, error) {
	if err := checkID("list", id); err != nil {
		return List{}, err
	}
	out, err := call[listJSON](ctx, c, api("GET /v3/marketing/lists/{id}", idempotent, id))
	return out.list(), err
}

// Lists returns every list of the account, following _metadata.next with page_size 1000.
func (c *Client) Lists(ctx context.Context) ([]List, error) {
	var all []List
	query := map[string]string{"page_size": "1000"}
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page > 10000 {
			return nil, errors.New("sendgrid: GET /v3/marketing/lists: too many pages")
		}
		r := api("GET /v3/marketing/lists", idempotent)
		r.query = query
		out, err := call[struct {
			Result   []listJSON `json:"result"`
			Metadata struct {
				Next string `json:"next"`
			} `json:"_metadata"`
		}](ctx, c, r)
		if err != nil {
			return nil, err
		}
		for _, l := range out.Result {
			all = append(all, l.list())
		}
		if out.Metadata.Next == "" || len(out.Result) == 0 {
			return all, nil
		}
		next, err := url.Parse(out.Metadata.Next)
		if err != nil {
			return nil, fmt.Errorf("sendgrid: GET /v3/marketing/lists: bad next page link: %v", err)
		}
		q := next.Query()
		tok := q.Get("page_token")
		if tok == "" || seen[tok] {
			return all, nil
		}
		seen[tok] = true
		query = map[string]string{"page_size": "1000", "page_token": tok}
		if ps := q.Get("page_size"); ps != "" {
			if _, err := strconv.Atoi(ps); err == nil {
				query["page_size"] = ps
			}
		}
	}
}

// RenameList changes a list's name (PATCH /v3/marketing/lists/{id}).
func (c *Client) RenameList(ctx context.Context, id, name string) (List, error) {
	if err := checkID("list", id); err != nil {
		return List{}, err
	}
	if err := checkListName(name); err != nil {
		return List{}, err
	}
	r, err := api("PATCH /v3/marketing/lists/{id}", idempotent, id).withJSON(map[string]string{"name": name})
	if err != nil {
		return List{}, err
	}
	out, err := call[listJSON](ctx, c, r)
	return out.list(), err
}

// DeleteList deletes a list (DELETE /v3/marketing/lists/{id}); its contacts stay in the account.
func (c *Client) DeleteList(ctx context.Context, id string) error {
	return c.deleteList(ctx, id, "false")
}

// DeleteListAndContacts deletes a list and deletes its contacts from the account
// (DELETE /v3/marketing/lists/{id}?delete_contacts=true).
func (c *Client) DeleteListAndContacts(ctx context.Context, id string) error {
	return c.deleteList(ctx, id, "true")
}

func (c *Client) deleteList(ctx context.Context, id, deleteContacts string) error {
	if err := checkID("list", id); err != nil {
		return err
	}
	r := api("DELETE /v3/marketing/lists/{id}", idempotent, id)
	r.query = map[string]string{"delete_contacts": deleteContacts}
	return exec(ctx, c, r)
}

// ListContactCount returns how many contacts a list has (GET /v3/marketing/lists/{id}/contacts/count).
func (c *Client) ListContactCount(ctx context.Context, id string) (int64, error) {
	if err := checkID("list", id); err != nil {
		return 0, err
	}
	out, err := call[struct {
		ContactCount int64 `json:"contact_count"`
	}](ctx, c, api("GET /v3/marketing/lists/{id}/contacts/count", idempotent, id))
	return out.ContactCount, err
}

// RemoveListContactsURLLength returns the length of the URL RemoveListContacts would request,
// so callers can size batches below MaxURLLength.
func (c *Client) RemoveListContactsURLLength(listID string, contactIDs []string) int {
	return len(c.base) + len("/v3/marketing/lists/") + len(listID) + len("/contacts?contact_ids=") + len(url.QueryEscape(strings.Join(contactIDs, ",")))
}

// RemoveListContacts removes contacts (by contact ID) from a list without deleting them
// (DELETE /v3/marketing/lists/{id}/contacts?contact_ids=…). SendGrid answers 202 with a job ID.
// The caller keeps the URL under MaxURLLength; a longer one is refused here.
func (c *Client) RemoveListContacts(ctx context.Context, listID string, contactIDs []string) (string, error) {
	if err := checkID("list", listID); err != nil {
		return "", err
	}
	if len(contactIDs) == 0 {
		return "", errors.New("sendgrid: no contact IDs to remove")
	}
	for _, id := range contactIDs {
		if err := checkID("contact", id); err != nil {
			return "", err
		}
		if strings.Contains(id, ",") {
			return "", fmt.Errorf("sendgrid: contact ID %q contains a comma", id)
		}
	}
	if n := c.RemoveListContactsURLLength(listID, contactIDs); n > MaxURLLength {
		return "", fmt.Errorf("sendgrid: removing %d contacts in one request needs a %d-character URL (limit %d): use smaller batches", len(contactIDs), n, MaxURLLength)
	}
	r := api("DELETE /v3/marketing/lists/{id}/contacts", idempotent, listID)
	r.query = map[string]string{"contact_ids": strings.Join(contactIDs, ",")}
	res, err := c.do(ctx, r)
	if err != nil || len(res.body) == 0 { // SendGrid documents a job ID; an empty 202 has none
		return "", err
	}
	var out struct {
		JobID string `json:"job_id"`
	}
	if err := decode(res, r, &out); err != nil {
		return "", err
	}
	return out.JobID, nil
}
