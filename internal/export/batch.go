package export

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
