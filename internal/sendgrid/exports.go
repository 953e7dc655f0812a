package sendgrid

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// States of a contacts export.
const (
	ContactsExportPending = "pending"
	ContactsExportReady   = "ready"
	ContactsExportFailure = "failure"
)

// ContactsExport is the state of a contacts export.
type ContactsExport struct {
	ID      string
	Status  string // pending | ready | failure
	URLs    []string
	Message string
	// ContactCount is the number of exported contacts when SendGrid reports it.
	ContactCount int64
}

// StartContactsExport starts an export of the contacts on listIDs (all contacts when empty) as "csv"
// (default) or "json" (POST /v3/marketing/contacts/exports). It is not repeated after an
// ambiguous failure (a *TransportError with Sent set): the export may have been started; look
// for it with ContactsExports before starting another.
func (c *Client) StartContactsExport(ctx context.Context, listIDs []string, fileType string) (string, error) {
	if fileType == "" {
		fileType = "csv"
	}
	if fileType != "csv" && fileType != "json" {
		return "", fmt.Errorf("sendgrid: export file type %q is not csv or json", fileType)
	}
	r, err := api("POST /v3/marketing/contacts/exports", once).withJSON(struct {
		ListIDs  []string `json:"list_ids,omitempty"`
		FileType string   `json:"file_type"`
	}{listIDs, fileType})
	if err != nil {
		return "", err
	}
	out, err := call[struct {
		ID string `json:"id"`
	}](ctx, c, r)
	if err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("sendgrid: POST /v3/marketing/contacts/exports: response has no id")
	}
	return out.ID, nil
}

// ContactsExportJob is one export job listed by ContactsExports.
type ContactsExportJob struct {
	ID        string
	Status    string // pending | ready | failure
	CreatedAt time.Time
	ListIDs   []string
}

// ContactsExports lists the account's current and recent export jobs (GET
// /v3/marketing/contacts/exports).
func (c *Client) ContactsExports(ctx context.Context) ([]ContactsExportJob, error) {
	out, err := call[struct {
		Result []struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			CreatedAt string `json:"created_at"`
			Lists     []struct {
				ID string `json:"ID"`
			} `json:"lists"`
		} `json:"result"`
	}](ctx, c, api("GET /v3/marketing/contacts/exports", idempotent))
	if err != nil {
		return nil, err
	}
	jobs := make([]ContactsExportJob, 0, len(out.Result))
	for _, x := range out.Result {
		j := ContactsExportJob{ID: x.ID, Status: x.Status}
		j.CreatedAt, _ = time.Parse(time.RFC3339, x.CreatedAt)
		for _, l := range x.Lists {
			j.ListIDs = append(j.ListIDs, l.ID)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// ContactsExportStatus reads an export's state (GET /v3/marketing/contacts/exports/{id}).
func (c *Client) ContactsExportStatus(ctx context.Context, id string) (ContactsExport, error) {
	if err := checkID("export", id); err != nil {
		return ContactsExport{}, err
	}
	out, err := call[struct {
		ID           string   `json:"id"`
		Status       string   `json:"status"`
		URLs         []string `json:"urls"`
		Message      string   `json:"message"`
		ContactCount int64    `json:"contact_count"`
	}](ctx, c, api("GET /v3/marketing/contacts/exports/{id}", idempotent, id))
	if err != nil {
		return ContactsExport{}, err
	}
	return ContactsExport{ID: out.ID, Status: out.Status, URLs: out.URLs, Message: scrub(out.Message), ContactCount: out.ContactCount}, nil
}

// WaitContactsExport polls an export until it is ready or failed (backing off ×1.5 from poll, at most 10 s
// between polls). A failed export is returned with an error carrying SendGrid's message.
func (c *Client) WaitContactsExport(ctx context.Context, id string, poll time.Duration) (ContactsExport, error) {
	e, err := pollUntil(ctx, poll, func() (ContactsExport, error) { return c.ContactsExportStatus(ctx, id) },
		func(e ContactsExport) bool {
			return e.Status == ContactsExportReady || e.Status == ContactsExportFailure
		})
	if err == nil && e.Status == ContactsExportFailure {
		err = fmt.Errorf("sendgrid: export %s failed: %s", id, e.Message)
	}
	return e, err
}

// DownloadContactsExport opens one of an export's URLs. The stream is decompressed when the file is
// gzip-compressed. The API key is not sent. The caller closes the reader.
func (c *Client) DownloadContactsExport(ctx context.Context, url string) (io.ReadCloser, error) {
	return c.download(ctx, "GET export_url", url)
}

type readCloser struct {
	io.Reader
	closers []io.Closer
}

func (r *readCloser) Close() error {
	var first error
	for _, c := range r.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// download GETs an absolute URL (export file, errors file) with retries, returning the body as a
// stream, transparently gunzipped.
func (c *Client) download(ctx context.Context, route, rawURL string) (io.ReadCloser, error) {
	if err := checkOutsideURL(rawURL); err != nil {
		return nil, err
	}
	var out io.ReadCloser
	err := c.exchange(ctx, transfer(route, rawURL, idempotent), func(resp *http.Response) (bool, error) {
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		head, _ := br.Peek(2)
		if isGzip(head) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				return false, err
			}
			out = &readCloser{Reader: zr, closers: []io.Closer{zr, resp.Body}}
			return true, nil
		}
		out = &readCloser{Reader: br, closers: []io.Closer{resp.Body}}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
