package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// member is one contact on the list, read from a contacts export.
type member struct {
	eh    uint64
	id    string
	email string
}

// membership is what a contacts export of the list says relative to the exported contacts.
type membership struct {
	members int64
	inCur   int64    // members that the export keeps
	leavers []member // members no longer in the segments (kept only when needed)
}

// readMembership reads the list's members through a contacts export (POST
// /v3/marketing/contacts/exports, wait, download) and compares them with the exported contacts.
func (e *Engine) readMembership(ctx context.Context, listID string, s *scan, keepLeavers bool) (*membership, error) {
	m := &membership{}
	// An empty list has no members to read.
	if n, err := e.Client.ListContactCount(ctx, listID); err != nil {
		return nil, err
	} else if n == 0 {
		return m, nil
	}
	err := e.eachMember(ctx, listID, s.h, func(mb member) error {
		m.members++
		if _, ok := snapshot.Find(s.cur, mb.eh); ok {
			m.inCur++
		} else {
			if keepLeavers {
				m.leavers = append(m.leavers, mb)
			} else {
				m.leavers = append(m.leavers, member{eh: mb.eh})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// exportAttempts is how many times a contacts export that fails (as a job) is started again.
const exportAttempts = 4

// eachMember streams the members of a list from a contacts export. The export's CSV has a
// header; the email column is "email" and the contact ID column "contact_id" or "id" (any case).
// An export that fails as a job is started again (up to exportAttempts times); fn sees the
// members of one export only.
func (e *Engine) eachMember(ctx context.Context, listID string, h *hasher, fn func(member) error) error {
	var exp sendgrid.Export
	for attempt := 1; ; attempt++ {
		id, err := e.Client.StartExport(ctx, []string{listID}, "csv")
		if err != nil {
			return err
		}
		exp, err = e.Client.WaitExport(ctx, id, e.pollInterval())
		if err == nil {
			break
		}
		if ctx.Err() != nil || exp.Status != sendgrid.ExportFailure || attempt >= exportAttempts {
			return err
		}
	}
	for _, u := range exp.URLs {
		if err := e.readExportFile(ctx, u, h, fn); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) readExportFile(ctx context.Context, url string, h *hasher, fn func(member) error) error {
	rc, err := e.Client.DownloadExport(ctx, url)
	if err != nil {
		return err
	}
	defer func() { _ = rc.Close() }()
	cr := csv.NewReader(bufio.NewReaderSize(rc, 256<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("contacts export: %w", err)
	}
	emailCol, idCol := -1, -1
	for i, c := range head {
		c = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(c, "\ufeff")))
		switch {
		case c == "email" && emailCol < 0:
			emailCol = i
		case (c == "contact_id" || c == "id") && idCol < 0:
			idCol = i
		}
	}
	if emailCol < 0 {
		return errors.New("contacts export: the file has no email column")
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("contacts export: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if emailCol >= len(rec) {
			continue
		}
		email := strings.ToLower(strings.TrimSpace(rec[emailCol]))
		if email == "" {
			continue
		}
		mb := member{eh: h.email(email), email: email}
		if idCol >= 0 && idCol < len(rec) {
			mb.id = strings.TrimSpace(rec[idCol])
		}
		if err := fn(mb); err != nil {
			return err
		}
	}
}
