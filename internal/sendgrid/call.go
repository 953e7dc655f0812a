package sendgrid

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sendgrid/rest"
)

// repeat says whether a request may be sent again after an ambiguous failure (a broken
// connection after the request was written, a 5xx, a body cut short). A 429 is repeated whatever
// the policy: SendGrid did not process the request.
type repeat int

const (
	// idempotent requests are repeated: reads, renames, deletions, upserts (by email), searches
	// and uploads to a presigned URL.
	idempotent repeat = iota + 1
	// once requests are not repeated once they may have reached SendGrid: each one creates
	// something (a list, a field, an import or export job).
	once
)

// request describes one API call.
type request struct {
	method rest.Method
	route  string // method and template, e.g. "GET /v3/marketing/lists/{id}" (pacing, limits, logs)
	path   string // actual path below the base URL
	query  map[string]string
	body   []byte
	header map[string]string
	repeat repeat
	// absURL: send to this absolute URL without the API key (upload and download URLs).
	absURL string
	// forbiddenOK: a 403 is an expected answer (no scope lookup).
	forbiddenOK bool
}

// api returns the request of route ("METHOD /v3/path/{id}"), its {id} replaced by id when
// given: method and path are written once, in the route.
func api(route string, rep repeat, id ...string) *request {
	method, path, _ := strings.Cut(route, " ")
	if len(id) > 0 {
		path = strings.Replace(path, "{id}", id[0], 1)
	}
	return &request{method: rest.Method(method), route: route, path: path, repeat: rep}
}

// transfer returns the request of an upload or download URL; route names it in logs and errors
// ("GET export_url"), never the URL, which carries tokens.
func transfer(route, rawURL string, rep repeat) *request {
	method, _, _ := strings.Cut(route, " ")
	return &request{method: rest.Method(method), route: route, absURL: rawURL, repeat: rep}
}

// withJSON sets the request's JSON body.
func (r *request) withJSON(v any) (*request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sendgrid: %s: encoding the request: %w", r.route, err)
	}
	r.body = b
	return r, nil
}

// call sends r and decodes its JSON answer into a T. An empty or malformed body is an error.
func call[T any](ctx context.Context, c *Client, r *request) (T, error) {
	var out, zero T
	res, err := c.do(ctx, r)
	if err != nil {
		return zero, err
	}
	if err := decode(res, r, &out); err != nil {
		return zero, err
	}
	return out, nil
}

// exec sends r and discards its answer.
func exec(ctx context.Context, c *Client, r *request) error {
	_, err := c.do(ctx, r)
	return err
}

func decode(res *response, r *request, v any) error {
	if len(res.body) == 0 {
		return fmt.Errorf("sendgrid: %s %s: empty response body", r.method, r.logPath())
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		return fmt.Errorf("sendgrid: %s %s: unexpected response body: %v", r.method, r.logPath(), err)
	}
	return nil
}
