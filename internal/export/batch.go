package export

import (
	"errors"
	"fmt"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
)

// PUT /v3/marketing/contacts bodies are built incrementally: the body starts as
// {"list_ids":["<list>"],"contacts":[ and each contact's JSON is appended (comma-separated)
// unless that would pass MaxBatchContacts contacts, or the body with the closing "]}" would pass
// MaxBatchBytes bytes; then the batch is cut and a new body begins. Every batch is therefore as
// large as SendGrid allows, and the number of requests is the minimum for the contacts' order.

const bodySuffix = "]}"

func bodyPrefix(listID string) []byte {
	b := []byte(`{"list_ids":[`)
	b = appendJSONString(b, listID)
	return append(b, `],"contacts":[`...)
}

// batchSim counts the batches the cutting rule produces for a sequence of contact sizes.
type batchSim struct {
	prefix, maxC, maxB int
	count, bytes       int
	closed             int
}

func newBatchSim(listID string, maxC, maxB int) batchSim {
	p := len(bodyPrefix(listID))
	return batchSim{prefix: p, maxC: maxC, maxB: maxB, bytes: p}
}

// fits reports whether a contact of n bytes can join a batch holding count contacts in bytes.
func fits(count, bytes, n, maxC, maxB int) bool {
	if count == 0 {
		return true // a batch always takes its first contact
	}
	return count < maxC && bytes+1+n+len(bodySuffix) <= maxB
}

func (b *batchSim) add(n int) {
	if !fits(b.count, b.bytes, n, b.maxC, b.maxB) {
		b.closed++
		b.count, b.bytes = 0, b.prefix
	}
	if b.count > 0 {
		b.bytes++
	}
	b.bytes += n
	b.count++
}

// batches returns the number of batches so far.
func (b *batchSim) batches() int {
	if b.count > 0 {
		return b.closed + 1
	}
	return b.closed
}

// uploadPlan is the chosen transfer method.
type uploadPlan struct {
	method     string // "put", "csv" or ""
	requests   int
	putBatches int
	csvChunks  int
}

// chooseMethodFor applies the transfer rule: the JSON upsert needs one request per batch; a CSV
// import needs two (start the import, upload the file) per MaxImportContacts contacts. The
// CSV import is used when it needs strictly fewer requests (three or more PUT batches), and
// only when the IDs of every mapped field are known (the import maps columns by field ID).
// Both methods need one job per request group to be polled, so the CSV import also needs fewer
// polls whenever it is chosen.
func (e *Engine) chooseMethodFor(c *codec, changed int64, put int) uploadPlan {
	if changed == 0 {
		return uploadPlan{}
	}
	maxI := int64(e.maxImportContacts())
	chunks := int((changed + maxI - 1) / maxI)
	csvOK := c.csvPossible()
	switch {
	case e.Transfer == TransferCSV && csvOK,
		e.Transfer == TransferAuto && csvOK && 2*chunks < put:
		return uploadPlan{method: "csv", requests: 2 * chunks, putBatches: put, csvChunks: chunks}
	}
	return uploadPlan{method: "put", requests: put, putBatches: put, csvChunks: chunks}
}

// outbox is the batch plan: the contacts to upload, in source order, counted into the PUT
// batches the cutting rule makes of them, and the upload method, chosen once from those counts.
// In an apply it also keeps their records (and, when the CSV import is prepared, builds the
// compressed files from them as they come).
type outbox struct {
	sim       batchSim
	n         int64 // contacts to upload
	jsonBytes int64 // their serialized size
	choose    func(n int64, putBatches int) uploadPlan
	chosen    *uploadPlan

	codec     *codec
	maxImport int
	spool     spool
	csv       *csvBuilder
	csvLine   []byte
}

// count adds a contact of jsonLen bytes to the plan.
func (o *outbox) count(jsonLen int) {
	o.n++
	o.jsonBytes += int64(jsonLen)
	o.sim.add(jsonLen)
}

// method returns the upload method for the contacts counted, chosen on the first call.
func (o *outbox) method() uploadPlan {
	if o.chosen == nil {
		up := o.choose(o.n, o.sim.batches())
		o.chosen = &up
	}
	return *o.chosen
}

// buildCSV starts compressing the CSV import files from the records kept from now on, when the
// mapped fields allow a CSV import.
func (o *outbox) buildCSV() {
	if names, _, ok := o.codec.csvHeader(); ok && o.csv == nil {
		o.csv = newCSVBuilder(csvHeaderLine(names), o.maxImport)
	}
}

// prepare chooses the method and builds the CSV files only when it is the CSV import.
func (o *outbox) prepare() {
	if o.method().method == "csv" {
		o.buildCSV()
	}
}

// keep records a counted contact's record for the upload (and its CSV line, when the CSV
// import is being prepared).
func (o *outbox) keep(en snapshot.Entry, jsonLen int, rec []byte) {
	o.spool.add(en, jsonLen, rec)
	if o.csv != nil {
		o.csvLine = o.codec.appendCSV(o.csvLine[:0], rec)
		o.csv.add(o.csvLine)
	}
}

// bytes is the serialized size of the contacts counted.
func (o *outbox) bytes() int64 { return o.jsonBytes }

// size is the number of records kept.
func (o *outbox) size() int { return o.spool.n }

// drain calls fn for every record kept, in order, releasing them as it goes.
func (o *outbox) drain(fn func(en snapshot.Entry, jsonLen int, rec []byte) bool) { o.spool.drain(fn) }

// csvFiles completes the CSV import files and returns them, each with the entries of the
// contacts it holds; the records are released (the files hold the values).
func (o *outbox) csvFiles() ([][]byte, [][]snapshot.Entry, error) {
	if o.csv == nil {
		return nil, nil, errors.New("internal error: no CSV files were prepared")
	}
	bodies, counts, err := o.csv.finish()
	if err != nil {
		return nil, nil, fmt.Errorf("compressing the CSV file: %w", err)
	}
	entries := make([][]snapshot.Entry, len(bodies))
	for i, n := range counts {
		entries[i] = make([]snapshot.Entry, 0, n)
	}
	k := 0
	o.spool.each(func(en snapshot.Entry, _ int, _ []byte) bool {
		for k < len(counts) && len(entries[k]) == counts[k] {
			k++
		}
		if k == len(counts) {
			return false
		}
		entries[k] = append(entries[k], en)
		return true
	})
	o.spool = spool{}
	return bodies, entries, nil
}

// abort drops the CSV files being built.
func (o *outbox) abort() {
	if o != nil {
		o.csv.abort()
	}
}
