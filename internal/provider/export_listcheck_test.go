package provider

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// serverWithReplanHook runs hook once, when Terraform plans a typeName resource for the second
// time after armed is set: with a saved plan, that is the planning Terraform repeats at apply.
type serverWithReplanHook struct {
	tfprotov6.ProviderServer
	typeName string
	armed    *atomic.Bool
	calls    *atomic.Int32
	once     *sync.Once
	hook     func()
}

func (s serverWithReplanHook) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if req.TypeName == s.typeName && s.armed.Load() && s.calls.Add(1) == 2 {
		s.once.Do(s.hook)
	}
	return s.ProviderServer.PlanResourceChange(ctx, req)
}

// A saved plan applied after the list changed in a way the plan depends on (contacts of the
// export removed by hand: the apply would read the list and put them back) fails with an error
// that says so, and sends nothing, instead of Terraform's "Provider produced inconsistent final
// plan".
func TestAccExport_listChangedBetweenPlanAndApply(t *testing.T) {
	opts := synth.Options{Count: 20, Seed: 9}
	f := newEmulatorExportFixture(t, opts)
	armed, calls, once := &atomic.Bool{}, &atomic.Int32{}, &sync.Once{}
	var edited atomic.Bool
	edit := func() {
		c := f.env.Client(t)
		found, err := c.SearchEmails(context.Background(), expectedEmails(t, opts, nil)[:3])
		if err != nil {
			t.Errorf("search: %v", err)
			return
		}
		var ids []string
		for _, ref := range found {
			ids = append(ids, ref.ID)
		}
		if _, err := c.RemoveListContacts(context.Background(), f.listID, ids); err != nil {
			t.Errorf("remove: %v", err)
			return
		}
		f.env.Emulator.FlushJobs()
		f.env.Clock.Advance(testAccLag + time.Second) // the emulator's count shows the removal
		time.Sleep(testAccSettle)                     // the provider no longer takes a low count for lag
		edited.Store(true)
	}
	serve := providerserver.NewProtocol6WithError(New("test")())
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"sendgridaudience": func() (tfprotov6.ProviderServer, error) {
			s, err := serve()
			return serverWithReplanHook{ProviderServer: s, typeName: "sendgridaudience_export", armed: armed, calls: calls, once: once, hook: edit}, err
		},
	}
	var sent int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: f.config(testAccAdmin, `  sync_mode = "mirror"`),
				Check: func(*terraform.State) error {
					f.env.Emulator.FlushJobs() // the list's count shows the run's contacts
					f.env.Clock.Advance(testAccLag + time.Second)
					sent = contactsSent(f.env.Emulator.Counters())
					return nil
				},
			},
			{
				// run_trigger makes a run; the list's count lower than the export left makes it read
				// the list's members, which the plan did not.
				PreConfig:   func() { armed.Store(true) },
				Config:      f.config(testAccAdmin, "  sync_mode = \"mirror\"\n  run_trigger = \"again\""),
				ExpectError: allWordsRe("The list changed since the plan", "held 20 contacts", "holds 17 now", "Nothing was sent", "Run terraform plan again"),
			},
			{
				// Planned again, the run goes ahead.
				PreConfig: func() {
					if got := contactsSent(f.env.Emulator.Counters()); got != sent {
						t.Errorf("%d contacts were sent by the refused apply", got-sent)
					}
				},
				Config: f.config(testAccAdmin, "  sync_mode = \"mirror\"\n  run_trigger = \"again\""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
	if !edited.Load() {
		t.Fatal("the list was not changed between plan and apply")
	}
}
