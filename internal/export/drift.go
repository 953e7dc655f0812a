package export

import (
	"context"
	"fmt"
	"slices"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Drift is a change of the list made outside the export: contacts it put on the list removed
// by people or by another export. The list's count shows it when contacts are only removed; when
// others are added at the same time the count hides it, so a mirror run also checks a sample of
// its contacts on the list by email search (one request): any of them missing is drift, and the
// list's members are read to put them back.

// driftSampleSize is how many of the export's contacts a mirror run looks up (one search).
const driftSampleSize = sendgrid.MaxSearchEmails

// sampleMod chooses the drift sample for a mirror run with a usable snapshot whose list was not
// read: exported contacts whose email hash is a multiple of it, about driftSampleSize of them
// (hashes are uniform). 0: no sample.
func (r *run) sampleMod() uint64 {
	b := r.base
	if r.req.SyncMode != SyncMirror || r.state != SnapshotOK || b.members != nil || b.settling ||
		r.e.Settling(r.req.PreviousRunFinished) {
		return 0
	}
	n := uint64(b.confirmed)
	if n == 0 {
		return 0
	}
	return max(1, n/driftSampleSize)
}

// addSample keeps the email of an exported contact of the sample when the snapshot records it as
// confirmed on the list.
func (d *differ) addSample(eh uint64, rec []byte) {
	if len(d.res.sample) >= driftSampleSize {
		return
	}
	c, ok := d.base.prevIdx.Find(eh)
	if !ok || c == 0 || c == removalPending {
		return
	}
	it := recordIter{rec: rec}
	email, _ := it.next() // the email comes first
	if !searchable(string(email)) {
		return
	}
	if d.res.sample == nil {
		d.res.sample = map[uint64]string{}
	}
	d.res.sample[eh] = string(email)
}

// sampleDrift looks the drift sample up on the list: true when one of them is not on it.
func (r *run) sampleDrift(ctx context.Context) (bool, error) {
	if len(r.ch.sample) == 0 {
		return false, nil
	}
	emails := make([]string, 0, len(r.ch.sample))
	for _, e := range r.ch.sample {
		emails = append(emails, e)
	}
	slices.Sort(emails)
	missing := false
	err := r.e.searchOnList(ctx, r.req.ListID, emails, func(_ int, _ string, on bool) { missing = missing || !on })
	if err != nil {
		return false, fmt.Errorf("checking the export's contacts on the list: %w", err)
	}
	return missing, nil
}
