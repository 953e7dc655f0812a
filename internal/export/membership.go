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

// members is the list's membership read from a contacts export: email hashes sorted, each
// entry's Content the index of its contact in refs (apply only; Plan keeps the hashes alone).
type members struct {
	entries []snapshot.Entry
	refs    []member
}

func (m *members) has(eh uint64) bool {
	if m == nil {
		return false
	}
	_, ok := snapshot.Find(m.entries, eh)
	return ok
}

func (m *members) ref(eh uint64) member {
	i, _ := snapshot.Find(m.entries, eh)
	if int(i) < len(m.refs) {
		return m.refs[i]
	}
	return member{eh: eh}
}

// listMembers reads the list's members through a contacts export (POST
// /v3/marketing/contacts/exports, wait, download). With keepRefs the contact IDs (or, without
// an ID column, the emails) are kept for removals. An empty list is not exported.
func (e *Engine) listMembers(ctx context.Context, listID string, h *hasher, keepRefs bool) (*members, error) {
	m := &members{}
	if n, err := e.Client.ListContactCount(ctx, listID); err != nil {
		return nil, err
	} else if n == 0 {
		return m, nil
	}
	err := e.eachMember(ctx, listID, h, func(mb member) error {
		idx := uint64(0)
		if keepRefs {
			if mb.id != "" {
				mb.email = ""
			}
			idx = uint64(len(m.refs))
			m.refs = append(m.refs, mb)
		}
		m.entries = append(m.entries, snapshot.Entry{Email: mb.eh, Content: idx})
		return nil
	})
	if err != nil {
		return nil, err
	}
	m.entries = snapshot.Sort(m.entries)
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
