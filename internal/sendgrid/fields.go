package sendgrid

import (
	"context"
	"fmt"
	"strings"
)

// FieldType is a custom field's type.
type FieldType string

// Field types SendGrid knows.
const (
	FieldText   FieldType = "Text"
	FieldNumber FieldType = "Number"
	FieldDate   FieldType = "Date"
)

// Valid reports whether t is Text, Number or Date.
func (t FieldType) Valid() bool { return t == FieldText || t == FieldNumber || t == FieldDate }

// Field is a custom or reserved field definition.
type Field struct {
	ID       string
	Name     string
	Type     FieldType
	ReadOnly bool
}

type fieldJSON struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Type     FieldType `json:"field_type"`
	ReadOnly bool      `json:"read_only"`
}

func (f fieldJSON) field() Field {
	return Field(f)
}

// CheckFieldName applies SendGrid's rules for custom field names: 1–100 characters of A–Z, a–z,
// 0–9 and _, starting with a letter or _. (Uniqueness ignoring case is checked by SendGrid.)
func CheckFieldName(name string) error {
	if name == "" || len(name) > 100 {
		return fmt.Errorf("a custom field name must have 1 to 100 characters, this one has %d", len(name))
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		ok := ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (i > 0 && ch >= '0' && ch <= '9')
		if !ok {
			if i == 0 {
				return fmt.Errorf("custom field name %q must start with a letter or _", name)
			}
			return fmt.Errorf("custom field name %q may contain only letters, digits and _", name)
		}
	}
	return nil
}

// Fields returns the account's custom field definitions and SendGrid's reserved fields
// (GET /v3/marketing/field_definitions).
func (c *Client) Fields(ctx context.Context) (custom []Field, reserved []Field, err error) {
	out, err := call[struct {
		Custom   []fieldJSON `json:"custom_fields"`
		Reserved []fieldJSON `json:"reserved_fields"`
	}](ctx, c, api("GET /v3/marketing/field_definitions", idempotent))
	if err != nil {
		return nil, nil, err
	}
	custom = make([]Field, 0, len(out.Custom))
	for _, f := range out.Custom {
		custom = append(custom, f.field())
	}
	reserved = make([]Field, 0, len(out.Reserved))
	for _, f := range out.Reserved {
		reserved = append(reserved, f.field())
	}
	return custom, reserved, nil
}

// CreateField creates a custom field definition (POST /v3/marketing/field_definitions). Like
// CreateList it is not repeated after an ambiguous failure.
func (c *Client) CreateField(ctx context.Context, name string, t FieldType) (Field, error) {
	if err := CheckFieldName(name); err != nil {
		return Field{}, fmt.Errorf("sendgrid: %w", err)
	}
	if !t.Valid() {
		return Field{}, fmt.Errorf("sendgrid: field type %q is not one of Text, Number, Date", t)
	}
	r, err := api("POST /v3/marketing/field_definitions", once).withJSON(map[string]string{"name": name, "field_type": string(t)})
	if err != nil {
		return Field{}, err
	}
	out, err := call[fieldJSON](ctx, c, r)
	return out.field(), err
}

// RenameField renames a custom field (PATCH /v3/marketing/field_definitions/{id}).
func (c *Client) RenameField(ctx context.Context, id, name string) (Field, error) {
	if err := checkID("field", id); err != nil {
		return Field{}, err
	}
	if err := CheckFieldName(name); err != nil {
		return Field{}, fmt.Errorf("sendgrid: %w", err)
	}
	r, err := api("PATCH /v3/marketing/field_definitions/{id}", idempotent, id).withJSON(map[string]string{"name": name})
	if err != nil {
		return Field{}, err
	}
	out, err := call[fieldJSON](ctx, c, r)
	return out.field(), err
}

// DeleteField deletes a custom field definition (DELETE /v3/marketing/field_definitions/{id}).
func (c *Client) DeleteField(ctx context.Context, id string) error {
	if err := checkID("field", id); err != nil {
		return err
	}
	if strings.HasPrefix(id, "_rf") {
		return fmt.Errorf("sendgrid: %s is a reserved field and cannot be deleted", id)
	}
	return exec(ctx, c, api("DELETE /v3/marketing/field_definitions/{id}", idempotent, id))
}
