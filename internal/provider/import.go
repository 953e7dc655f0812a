package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Import IDs are checked before anything is written to state: an ID that points at nothing
// fails the import, naming the ID, what a valid one looks like and where to find it.

// whereListIDs says where a user finds a SendGrid list's ID.
const whereListIDs = "List IDs are in SendGrid under Marketing > Contacts > Lists (the ID in a list's address), " +
	"or from the sendgridaudience_list data source, which looks a list up by name."

// connectionIDExample is a well-formed connection ID for messages.
const connectionIDExample = "5b0c3a8e-8a3f-4d43-9f0e-2f1c7d3b9a61"

// isConnectionID reports whether s is a connection ID as Create chooses them: a UUID in its
// canonical, lower-case form.
func isConnectionID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// checkImportedList fails the import of what (an export or a list binding, described for the
// message) unless the list exists in the SendGrid account of the provider's key. idForm is the
// form of the import ID, for the message.
func checkImportedList(ctx context.Context, data *providerData, what, listID, idForm string, diags *diag.Diagnostics) bool {
	if !requireClient(data, diags) {
		return false
	}
	_, err := data.client.GetList(ctx, listID)
	switch {
	case err == nil:
		return true
	case sendgrid.IsNotFound(err):
		diags.AddError("SendGrid list not found",
			fmt.Sprintf("Cannot import %s: no contact list with ID %s exists in the SendGrid account of the provider's API key, "+
				"so nothing would be imported. The import ID is %s. %s Check that the key belongs to the account that holds the list.",
				what, listID, idForm, whereListIDs))
	case keyRefused(err):
		addKeyError(diags, err)
	default:
		diags.AddError("Cannot read SendGrid list", fmt.Sprintf("Reading list %s to import %s failed: %v", listID, what, err))
	}
	return false
}

// checkImportedField fails the import of a custom field unless a custom field with that ID
// exists in the SendGrid account of the provider's key; when the ID is the name of one, the
// message gives its ID.
func checkImportedField(ctx context.Context, data *providerData, id string, diags *diag.Diagnostics) bool {
	if !requireClient(data, diags) {
		return false
	}
	custom, _, err := data.client.Fields(ctx)
	if err != nil {
		addAPIError(diags, "Cannot read SendGrid custom fields", err)
		return false
	}
	hint := ""
	for _, f := range custom {
		if f.ID == id {
			return true
		}
		if strings.EqualFold(f.Name, id) {
			hint = fmt.Sprintf(" A custom field named %q exists: import it by its ID, %s.", f.Name, f.ID)
		}
	}
	diags.AddError("SendGrid custom field not found",
		fmt.Sprintf("Cannot import custom field %q: the SendGrid account of the provider's API key has no custom field with that ID.%s "+
			"Import a custom field by its ID (field_id, such as e1_T), not its name: GET /v3/marketing/field_definitions lists "+
			"every field with its id, and a sendgridaudience_custom_field shows it as field_id.", id, hint))
	return false
}
