package sendgrid_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// BenchmarkUpsertContactsJSON measures the raw upload path: pre-serialized 30,000-contact bodies
// sent with UpsertContactsJSON to the emulator over loopback (one job per request, applied).
func BenchmarkUpsertContactsJSON(b *testing.B) {
	e := emulator.New(emulator.Config{JobDelay: time.Nanosecond})
	srv := httptest.NewServer(e)
	defer srv.Close()
	c, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	list := e.SeedList(key, "bench")
	bodies := make([][]byte, 4)
	for k := range bodies {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `{"list_ids":[%q],"contacts":[`, list)
		for i := 0; i < sendgrid.MaxUpsertContacts; i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"email":"user%08d@example.com","first_name":"F%d","last_name":"L%d","city":"C"}`, k*sendgrid.MaxUpsertContacts+i, i, i)
		}
		buf.WriteString("]}")
		bodies[k] = buf.Bytes()
	}
	b.SetBytes(int64(len(bodies[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.UpsertContactsJSON(context.Background(), bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	e.FlushJobs()
	b.ReportMetric(float64(b.N*sendgrid.MaxUpsertContacts)/b.Elapsed().Seconds(), "contacts/s")
}
