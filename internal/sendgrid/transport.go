package sendgrid

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Redirects. SendGrid's v3 API answers every documented request itself (no 3xx response appears
// in its OpenAPI files, ../shared/sendgrid-oai), so a redirect from the API host means api_url
// points somewhere else: it is refused and the API key goes nowhere but the configured host.
// Upload and download URLs (presigned storage URLs) may redirect: at most maxTransferRedirects
// are followed, only to https://, and never with an Authorization or Cookie header.
const maxTransferRedirects = 3

// Limits of response bodies the client reads (2xx answers; error bodies are read up to 1 MiB).
// SendGrid's answers are far smaller; a body over the limit is cut off with a
// *ResponseTooLargeError instead of exhausting memory.
const (
	// MaxJSONResponse caps a JSON answer of the API: a page of at most 1,000 lists, at most
	// MaxCustomFields field definitions, a job's status, an export's URLs.
	MaxJSONResponse = 4 << 20
	// MaxSearchResponse caps POST /v3/marketing/contacts/search/emails: at most
	// MaxSearchEmails contacts, each with every reserved and custom field.
	MaxSearchResponse = 32 << 20
	// MaxUploadResponse caps what a CSV import's upload URL answers (nothing, in practice).
	MaxUploadResponse = 1 << 20
	// MaxErrorsFile caps a job's errors file as downloaded (one line per failed row of at most
	// MaxImportContacts rows).
	MaxErrorsFile = 512 << 20
	// MaxContactsExportFile caps one contact export file as downloaded: max_file_size of
	// POST /v3/marketing/contacts/exports defaults to 5000 MB (tsg_mc_contacts_v3.json).
	MaxContactsExportFile = 5000 << 20
)

// responseLimit is the most bytes the client reads from a 2xx answer to r.
func responseLimit(r *request) int64 {
	switch r.route {
	case "POST /v3/marketing/contacts/search/emails":
		return MaxSearchResponse
	case "PUT upload_uri":
		return MaxUploadResponse
	case "GET errors_url":
		return MaxErrorsFile
	case "GET export_url":
		return MaxContactsExportFile
	}
	return MaxJSONResponse
}

// RedirectError is a redirect the client refused: any redirect from the API host, or one from
// an upload or download URL to another scheme than https or past maxTransferRedirects. It names
// the status and the target's host only (never its path or query, which may carry tokens).
type RedirectError struct {
	Method, Path string
	Status       int    // the 3xx status (0 when refused while following redirects)
	Host         string // host[:port] of the redirect target ("" when the answer named none)
	Scheme       string // scheme of the redirect target
	API          bool   // the redirect came from the API host
	TooMany      bool   // more than maxTransferRedirects redirects
}

func (e *RedirectError) Error() string {
	target := "no Location"
	if e.Host != "" {
		target = e.Scheme + "://" + e.Host
	}
	switch {
	case e.API:
		return fmt.Sprintf("sendgrid: %s %s: the API answered %d %s, a redirect to %s; SendGrid's API does not redirect, "+
			"so the redirect was not followed and the API key was not sent there: check api_url (SendGrid's API, "+
			"https://api.sendgrid.com, or a SendGrid emulator)", e.Method, e.Path, e.Status, http.StatusText(e.Status), target)
	case e.TooMany:
		return fmt.Sprintf("sendgrid: %s %s: more than %d redirects (the last to %s); stopped following them",
			e.Method, e.Path, maxTransferRedirects, target)
	}
	return fmt.Sprintf("sendgrid: %s %s: refused a redirect to %s: upload and download URLs are followed only to https://",
		e.Method, e.Path, target)
}

// ResponseTooLargeError is a 2xx answer longer than the client reads from its endpoint.
type ResponseTooLargeError struct {
	Method, Path string
	Limit        int64
}

func (e *ResponseTooLargeError) Error() string {
	if !strings.HasPrefix(e.Path, "/") {
		// An upload or download URL named by SendGrid (the path is the route, never the URL).
		return fmt.Sprintf("sendgrid: %s %s: the file is longer than %s, the most the provider reads from such a URL; "+
			"stopped reading it", e.Method, e.Path, sizeText(e.Limit))
	}
	return fmt.Sprintf("sendgrid: %s %s: the response is longer than %s, the most the provider reads from this endpoint; "+
		"SendGrid's answers are far shorter: check api_url (SendGrid's API or a SendGrid emulator)",
		e.Method, e.Path, sizeText(e.Limit))
}

func sizeText(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// finalError reports errors that end the retry loop at once: a refused redirect, a body over
// its limit. It fills in the request's method and path.
func finalError(err error, method, path string) error {
	var re *RedirectError
	if errors.As(err, &re) {
		re.Method, re.Path = method, path
		return re
	}
	var tl *ResponseTooLargeError
	if errors.As(err, &tl) {
		return tl
	}
	return nil
}

// apiHTTPClient returns a copy of hc that never follows a redirect: the 3xx answer itself is
// returned (and refused by exchange).
func apiHTTPClient(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// transferHTTPClient returns a copy of hc for upload and download URLs: it follows at most
// maxTransferRedirects redirects, only to https://, without credentials.
func transferHTTPClient(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = checkTransferRedirect
	return &c
}

func checkTransferRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxTransferRedirects {
		return &RedirectError{Host: req.URL.Host, Scheme: req.URL.Scheme, TooMany: true}
	}
	if req.URL.Scheme != "https" {
		return &RedirectError{Host: req.URL.Host, Scheme: req.URL.Scheme}
	}
	req.Header.Del("Authorization")
	req.Header.Del("Cookie")
	return nil
}

// apiRedirect is the error for a 3xx answer of the API host.
func apiRedirect(method, path string, resp *http.Response) *RedirectError {
	e := &RedirectError{Method: method, Path: path, Status: resp.StatusCode, API: true}
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := resp.Request.URL.Parse(loc); err == nil {
			e.Host, e.Scheme = u.Host, u.Scheme
		}
	}
	return e
}

// limitedBody reads at most limit bytes of a response body; reading past it fails with a
// *ResponseTooLargeError.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  *ResponseTooLargeError
}

func limitBody(rc io.ReadCloser, method, path string, limit int64) *limitedBody {
	return &limitedBody{rc: rc, left: limit, err: &ResponseTooLargeError{Method: method, Path: path, Limit: limit}}
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly limit bytes from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
