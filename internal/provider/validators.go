package provider

import (
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Patterns shared by schemas and the checks behind them.
var (
	// listIDPattern matches SendGrid list IDs (UUIDs in 8-4-4-4-12 hex form, any case).
	listIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// fieldNamePattern is SendGrid's rule for custom field names: letters, digits and _,
	// starting with a letter or _ (length is checked separately: 1 to 100).
	fieldNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// noEdgeSpace refuses values that start or end with white space.
	noEdgeSpace = regexp.MustCompile(`^(\S(.*\S)?)?$`)
)

// listIDExample is a well-formed list ID for messages.
const listIDExample = "0b7b2f9c-4a1e-4c8e-9d6a-2f5e8c1b3a7d"

// isListID reports whether s is a well-formed SendGrid list ID. Import IDs use it; schemas use
// listIDValidator, which applies the same rule.
func isListID(s string) bool { return listIDPattern.MatchString(s) }

// listIDValidator is the validator of every list ID attribute.
func listIDValidator() validator.String {
	return stringvalidator.RegexMatches(listIDPattern, "must be a SendGrid list ID: a UUID such as "+listIDExample)
}
