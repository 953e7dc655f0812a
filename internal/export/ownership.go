package export

import (
	"context"
	"fmt"
	"slices"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
)

// An export removes (mirror mode, on_destroy) only the contacts it added to the list, unless it
// claims the whole list (ScopeList). The snapshot records which of its contacts it did not add:
// those already on the list when the export first sent them (Snapshot.Adopted). When the list's
// members were read before the scan, the exported members are known at once
// (changes.adoptedMembers); otherwise the contacts new to the export are looked up before the
// upload (applier.findAdopted).

// maxAdoptSearch is how many contacts new to the export are looked up by email search before an
// upload (100 per request); with more, or with an address SendGrid cannot search, the list is
// read through one contacts export instead.
const maxAdoptSearch = 5000

// findAdopted returns the email hashes of the contacts about to be uploaded that the export has
// never sent and that are already on the list (sorted). SendGrid shows a contact in searches and
// exports minutes after it was added: a contact someone added in the last minutes may be taken
// for one the export adds.
func (a *applier) findAdopted(ctx context.Context) ([]uint64, error) {
	var emails []string
	var hashes []uint64
	unsearchable := false
	a.out.spool.each(func(en snapshot.Entry, _ int, rec []byte) bool {
		if _, ok := a.prevIdx.Find(en.Email); ok {
			return true
		}
		it := recordIter{rec: rec}
		v, _ := it.next() // the email comes first
		emails = append(emails, string(v))
		hashes = append(hashes, en.Email)
		unsearchable = unsearchable || !searchable(string(v))
		return true
	})
	if len(hashes) == 0 {
		return nil, nil
	}
	var found []uint64
	var err error
	if len(hashes) <= maxAdoptSearch && !unsearchable {
		found, err = a.searchMembers(ctx, emails, hashes)
	} else {
		found, err = a.exportedMembers(ctx, hashes)
	}
	if err != nil {
		return nil, fmt.Errorf("checking which new contacts are already on the list: %w", err)
	}
	slices.Sort(found)
	return slices.Compact(found), nil
}

// searchMembers returns the hashes of the emails found on the list by email search. A contact
// found without its list IDs counts as on the list (the stricter reading: it is never removed).
func (a *applier) searchMembers(ctx context.Context, emails []string, hashes []uint64) ([]uint64, error) {
	var out []uint64
	err := a.e.searchOnList(ctx, a.listID, emails, func(k int, _ string, on bool) {
		if on {
			out = append(out, hashes[k])
		}
	})
	return out, err
}

// exportedMembers returns those of hashes that a contacts export of the list shows.
func (a *applier) exportedMembers(ctx context.Context, hashes []uint64) ([]uint64, error) {
	want := make(map[uint64]bool, len(hashes))
	for _, h := range hashes {
		want[h] = true
	}
	a.prog.update(func(p *Progress) { p.Phase = "membership" })
	var out []uint64
	err := a.e.eachMember(ctx, a.listID, a.h, func(m member) error {
		if want[m.eh] {
			out = append(out, m.eh)
		}
		return nil
	})
	return out, err
}

// nextAdopted is the adopted set of the new snapshot: the previous one and the contacts found on
// the list in this run, among the new snapshot's entries.
func nextAdopted(entries []snapshot.Entry, sets ...[]uint64) []uint64 {
	var all []uint64
	for _, s := range sets {
		all = append(all, s...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	out := all[:0]
	for _, h := range all {
		if _, ok := snapshot.Find(entries, h); ok {
			out = append(out, h)
		}
	}
	return out
}
