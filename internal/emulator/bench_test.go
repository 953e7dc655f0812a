package emulator_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
)

// upsertBody builds a realistic 30,000-contact upsert body (about 4 MB).
func upsertBody(listID string, batch, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"list_ids":[%q],"contacts":[`, listID)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"email":"user%08d@example.com","first_name":"First%d","last_name":"Last%d","city":"City %d","country":"US","postal_code":"%05d"}`,
			batch*n+i, i, i, i%100, i%99999)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// BenchmarkUpsert30k measures the emulator receiving, validating and applying 30,000-contact
// upserts over HTTP (new contacts every batch).
func BenchmarkUpsert30k(b *testing.B) {
	e := emulator.New(emulator.Config{JobDelay: time.Nanosecond})
	srv := httptest.NewServer(e)
	defer srv.Close()
	list := e.SeedList(emulator.TestKey, "bench")
	bodies := make([][]byte, 8)
	for i := range bodies {
		bodies[i] = upsertBody(list, i, 30000)
	}
	b.SetBytes(int64(len(bodies[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("PUT", srv.URL+"/v3/marketing/contacts", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer "+emulator.TestKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != 202 {
			b.Fatalf("status %d", res.StatusCode)
		}
		e.FlushJobs()
	}
	b.ReportMetric(float64(b.N*30000)/b.Elapsed().Seconds(), "contacts/s")
}
