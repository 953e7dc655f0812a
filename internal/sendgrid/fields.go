package sendgrid

import (
	"context"
	"encoding/json"
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
	r := &request{method: "GET", route: "GET /v3/marketing/field_definitions", path: "/v3/marketing/field_definitions", safe: true}
	res, err := c.do(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		Custom   []fieldJSON `json:"custom_fields"`
		Reserved []fieldJSON `json:"reserved_fields"`
	}
	if err := decode(res, "GET", r.path, &out); err != nil {
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
	body, _ := json.Marshal(map[string]string{"name": name, "field_type": string(t)})
	r := &request{method: "POST", route: "POST /v3/marketing/field_definitions", path: "/v3/marketing/field_definitions", body: body}
	res, err := c.do(ctx, r)
	if err != nil {
		return Field{}, err
	}
	var out fieldJSON
	if err := decode(res, "POST", r.path, &out); err != nil {
		return Field{}, err
	}
	return out.field(), nil
}

// RenameField renames a custom field (PATCH /v3/marketing/field_definitions/{id}).
func (c *Client) RenameField(ctx context.Context, id, name string) (Field, error) {
	if err := checkID("field", id); err != nil {
		return Field{}, err
	}
	if err := CheckFieldName(name); err != nil {
		return Field{}, fmt.Errorf("sendgrid: %w", err)
	}
	body, _ := json.Marshal(map[string]string{"name": name})
	r := &request{method: "PATCH", route: "PATCH /v3/marketing/field_definitions/{id}", path: "/v3/marketing/field_definitions/" + id, body: body, safe: true}
	res, err := c.do(ctx, r)
	if err != nil {
		return Field{}, err
	}
	var out fieldJSON
	if err := decode(res, "PATCH", r.path, &out); err != nil {
		return Field{}, err
	}
	return out.field(), nil
}

// DeleteField deletes a custom field definition (DELETE /v3/marketing/field_definitions/{id}).
func (c *Client) DeleteField(ctx context.Context, id string) error {
	if err := checkID("field", id); err != nil {
		return err
	}
	if strings.HasPrefix(id, "_rf") {
		return fmt.Errorf("sendgrid: %s is a reserved field and cannot be deleted", id)
	}
	r := &request{method: "DELETE", route: "DELETE /v3/marketing/field_definitions/{id}", path: "/v3/marketing/field_definitions/" + id, safe: true}
	_, err := c.do(ctx, r)
	return err
}
