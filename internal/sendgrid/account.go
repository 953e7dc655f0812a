package sendgrid

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

func decode(res *response, method, path string, v any) error {
	if len(res.body) == 0 {
		return fmt.Errorf("sendgrid: %s %s: empty response body", method, path)
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		return fmt.Errorf("sendgrid: %s %s: unexpected response body: %v", method, path, err)
	}
	return nil
}

const scopesRoute = "GET /v3/scopes"

// Scopes returns the scopes granted to the API key (GET /v3/scopes).
func (c *Client) Scopes(ctx context.Context) ([]string, error) {
	r := &request{method: "GET", route: scopesRoute, path: "/v3/scopes", safe: true}
	res, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	var out struct {
		Scopes []string `json:"scopes"`
	}
	if err := decode(res, "GET", r.path, &out); err != nil {
		return nil, err
	}
	return out.Scopes, nil
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
	r := &request{method: "GET", route: "GET /v3/user/username", path: "/v3/user/username", safe: true}
	res, err := c.do(ctx, r)
	if err != nil {
		return u, err
	}
	var un struct {
		Username string `json:"username"`
		UserID   int64  `json:"user_id"`
	}
	if err := decode(res, "GET", r.path, &un); err != nil {
		return u, err
	}
	u.UserID, u.Username = un.UserID, un.Username

	r = &request{method: "GET", route: "GET /v3/user/account", path: "/v3/user/account", safe: true}
	res, err = c.do(ctx, r)
	if err != nil {
		return u, err
	}
	var acc struct {
		Type       string  `json:"type"`
		Reputation float64 `json:"reputation"`
	}
	if err := decode(res, "GET", r.path, &acc); err != nil {
		return u, err
	}
	u.AccountType, u.Reputation = acc.Type, acc.Reputation

	r = &request{method: "GET", route: "GET /v3/user/profile", path: "/v3/user/profile", safe: true, forbiddenOK: true}
	res, err = c.do(ctx, r)
	if err != nil {
		if statusIs(err, http.StatusForbidden) {
			return u, nil
		}
		return u, err
	}
	var p struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Company   string `json:"company"`
	}
	if err := decode(res, "GET", r.path, &p); err != nil {
		return u, err
	}
	u.FirstName, u.LastName, u.Company, u.HasProfile = p.FirstName, p.LastName, p.Company, true
	return u, nil
}

// ContactCount returns the account's total and billable contact counts
// (GET /v3/marketing/contacts/count).
func (c *Client) ContactCount(ctx context.Context) (total, billable int64, err error) {
	r := &request{method: "GET", route: "GET /v3/marketing/contacts/count", path: "/v3/marketing/contacts/count", safe: true}
	res, err := c.do(ctx, r)
	if err != nil {
		return 0, 0, err
	}
	var out struct {
		ContactCount  int64 `json:"contact_count"`
		BillableCount int64 `json:"billable_count"`
	}
	if err := decode(res, "GET", r.path, &out); err != nil {
		return 0, 0, err
	}
	return out.ContactCount, out.BillableCount, nil
}
