package sendgrid

import (
	"context"
	"net/http"
)

const scopesRoute = "GET /v3/scopes"

// Scopes returns the scopes granted to the API key (GET /v3/scopes).
func (c *Client) Scopes(ctx context.Context) ([]string, error) {
	out, err := call[struct {
		Scopes []string `json:"scopes"`
	}](ctx, c, api(scopesRoute, idempotent))
	return out.Scopes, err
}

// User identifies the account behind an API key.
type User struct {
	UserID      int64
	Username    string
	AccountType string // "free" | "paid"
	Reputation  float64
	FirstName   string
	LastName    string
	Company     string
	// HasProfile is false when the key may not read the profile (the names are then empty).
	HasProfile bool
}

// User reads GET /v3/user/username and GET /v3/user/account, and GET /v3/user/profile when the
// key's scopes allow it (a 403 there is not an error).
func (c *Client) User(ctx context.Context) (User, error) {
	var u User
	un, err := call[struct {
		Username string `json:"username"`
		UserID   int64  `json:"user_id"`
	}](ctx, c, api("GET /v3/user/username", idempotent))
	if err != nil {
		return u, err
	}
	u.UserID, u.Username = un.UserID, un.Username
	acc, err := call[struct {
		Type       string  `json:"type"`
		Reputation float64 `json:"reputation"`
	}](ctx, c, api("GET /v3/user/account", idempotent))
	if err != nil {
		return u, err
	}
	u.AccountType, u.Reputation = acc.Type, acc.Reputation
	profile := api("GET /v3/user/profile", idempotent)
	profile.forbiddenOK = true
	p, err := call[struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Company   string `json:"company"`
	}](ctx, c, profile)
	if statusIs(err, http.StatusForbidden) {
		return u, nil
	}
	if err != nil {
		return u, err
	}
	u.FirstName, u.LastName, u.Company, u.HasProfile = p.FirstName, p.LastName, p.Company, true
	return u, nil
}

// ContactCount returns the account's total and billable contact counts
// (GET /v3/marketing/contacts/count).
func (c *Client) ContactCount(ctx context.Context) (total, billable int64, err error) {
	out, err := call[struct {
		ContactCount  int64 `json:"contact_count"`
		BillableCount int64 `json:"billable_count"`
	}](ctx, c, api("GET /v3/marketing/contacts/count", idempotent))
	if err != nil {
		return 0, 0, err
	}
	return out.ContactCount, out.BillableCount, nil
}
