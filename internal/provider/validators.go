package provider

import (
	"regexp"
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
