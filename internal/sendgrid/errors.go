package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

// APIError is a response from SendGrid with a status other than 2xx. It carries SendGrid's own
// messages and never the API key. SendGrid's 403 body says only "access forbidden" and never
// names the permission that is missing, so for a 403 the client reads the key's scopes
// (GET /v3/scopes) into Granted: MissingScopes then names what the key lacks.
type APIError struct {
	StatusCode int
	Method     string
	Path       string // the request path without query, e.g. /v3/marketing/contacts
	Errors     []ErrorItem
	// RetryAfter is how long SendGrid asked to wait (429: until X-RateLimit-Reset), zero if unknown.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent before this error was returned.
	Attempts int
	// Granted is, for a 403, the key's scopes as GET /v3/scopes listed them right after; nil when
	// they could not be read (ScopesErr says why) or the status is not 403.
	Granted   []string
	ScopesErr error
}

// MissingScopes returns the scopes of required that the key lacks according to Granted, for a
// 403 whose scopes could be read; nil otherwise (including when the key holds all of them: the
// refused request then needs a permission GET /v3/scopes does not show).
func (e *APIError) MissingScopes(required []string) []string {
	if e.StatusCode != http.StatusForbidden || e.Granted == nil {
		return nil
	}
	var out []string
	for _, s := range required {
		if !slices.Contains(e.Granted, s) {
			out = append(out, s)
		}
	}
	return out
}

// explainForbidden fills Granted of a 403 from GET /v3/scopes (not for the scopes request itself,
// nor for requests whose 403 is an expected answer).
func (c *Client) explainForbidden(ctx context.Context, r *request, e *APIError) {
	if e.StatusCode != http.StatusForbidden || r.absURL != "" || r.route == scopesRoute || r.forbiddenOK {
		return
	}
	scopes, err := c.Scopes(ctx)
	if err != nil {
		e.ScopesErr = err
		return
	}
	if scopes == nil {
		scopes = []string{}
	}
	e.Granted = scopes
}

// ErrorItem is one entry of SendGrid's {"errors":[{"field":…,"message":…}]} body.
type ErrorItem struct {
	Field   string
	Message string
	ErrorID string
}

// Error formats "sendgrid: PUT /v3/marketing/contacts: 400 Bad Request: field: message; …".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("sendgrid: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if msgs := e.Messages(); msgs != "" {
		b.WriteString(": ")
		b.WriteString(msgs)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Messages joins SendGrid's messages as "field: message; message".
func (e *APIError) Messages() string {
	parts := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		m := it.Message
		if it.Field != "" {
			m = it.Field + ": " + m
		}
		if m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, "; ")
}

func statusIs(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == code
}

// IsNotFound reports whether err is a SendGrid 404.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsUnauthorized reports whether err is a SendGrid 401 (the key is wrong or revoked).
func IsUnauthorized(err error) bool { return statusIs(err, http.StatusUnauthorized) }

// IsForbidden reports whether err is a SendGrid 403 (the key lacks a permission; see
// APIError.MissingScopes for which).
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

// IsBadRequest reports whether err is a SendGrid 400 (field errors in Errors).
func IsBadRequest(err error) bool { return statusIs(err, http.StatusBadRequest) }

var emailLike = regexp.MustCompile(`[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// scrub masks anything that looks like an email address in a server message, so that a message
// that echoes a profile value cannot carry it into logs or diagnostics.
func scrub(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return emailLike.ReplaceAllStringFunc(s, privacy.MaskEmail)
}

// parseErrorBody reads SendGrid's error bodies. The documented shape is
// {"errors":[{"field":…,"message":…,"error_id":…}]}; some endpoints answer with a bare array, a
// single object under "errors", or {"error":"…"}; anything else becomes one message.
func parseErrorBody(body []byte) []ErrorItem {
	type item struct {
		Field   *string `json:"field"`
		Message string  `json:"message"`
		ErrorID string  `json:"error_id"`
	}
	conv := func(in []item) []ErrorItem {
		out := make([]ErrorItem, 0, len(in))
		for _, it := range in {
			f := ""
			if it.Field != nil {
				f = *it.Field
			}
			out = append(out, ErrorItem{Field: scrub(f), Message: scrub(it.Message), ErrorID: it.ErrorID})
		}
		return out
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return nil
	}
	if strings.HasPrefix(trimmed, "[") {
		var arr []item
		if json.Unmarshal(body, &arr) == nil {
			return conv(arr)
		}
	}
	var obj struct {
		Errors json.RawMessage `json:"errors"`
		Error  string          `json:"error"`
	}
	if json.Unmarshal(body, &obj) == nil {
		if len(obj.Errors) > 0 {
			var arr []item
			if json.Unmarshal(obj.Errors, &arr) == nil {
				return conv(arr)
			}
			var one item
			if json.Unmarshal(obj.Errors, &one) == nil {
				return conv([]item{one})
			}
		}
		if obj.Error != "" {
			return []ErrorItem{{Message: scrub(obj.Error)}}
		}
		return nil
	}
	if len(trimmed) > 300 {
		trimmed = trimmed[:300] + "…"
	}
	return []ErrorItem{{Message: scrub(trimmed)}}
}
