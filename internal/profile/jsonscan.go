package profile

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonKind is the kind of a JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonObject
	jsonArray
)

func (k jsonKind) String() string {
	switch k {
	case jsonNull:
		return "null"
	case jsonBool:
		return "boolean"
	case jsonNumber:
		return "number"
	case jsonString:
		return "string"
	case jsonObject:
		return "object"
	}
	return "array"
}

// jsonMember is one member of a flat JSON object, valid during the callback only.
type jsonMember struct {
	key      []byte   // unescaped
	kind     jsonKind // jsonObject and jsonArray are reported, not parsed
	str      []byte   // unescaped string value (jsonString)
	num      []byte   // number literal (jsonNumber)
	integral bool     // the number literal has no fraction or exponent
	b        bool     // jsonBool
}

// jsonSyntaxError is malformed JSON; col is the 1-based byte offset in the line.
type jsonSyntaxError struct {
	col int
	msg string
}

func (e *jsonSyntaxError) Error() string { return fmt.Sprintf("column %d: %s", e.col, e.msg) }

// flatJSON parses one line holding a JSON object whose values are scalars. It validates the
// whole line as JSON (RFC 8259), rejects invalid UTF-8, and reports nested objects and arrays
// to the callback (without parsing them) so that the caller can name the key. Strings are
// unescaped into reusable buffers: no allocation per member.
type flatJSON struct {
	data   []byte
	pos    int
	keyBuf []byte
	strBuf []byte
}

// parse calls fn for each member of the object on line, in order. It returns a
// *jsonSyntaxError for malformed JSON, or fn's error.
func (p *flatJSON) parse(line []byte, fn func(m *jsonMember) error) error {
	p.data, p.pos = line, 0
	p.ws()
	if p.pos >= len(p.data) {
		return p.errf("the line is empty")
	}
	if p.data[p.pos] != '{' {
		return p.errf("expected a JSON object ({...}); each line must hold one object")
	}
	p.pos++
	var m jsonMember
	p.ws()
	if p.peek() == '}' {
		p.pos++
		return p.end()
	}
	for {
		p.ws()
		if p.peek() != '"' {
			return p.errf("expected a string as object key")
		}
		var err error
		p.keyBuf, err = p.str(p.keyBuf[:0])
		if err != nil {
			return err
		}
		m = jsonMember{key: p.keyBuf}
		p.ws()
		if p.peek() != ':' {
			return p.errf("expected ':' after object key")
		}
		p.pos++
		p.ws()
		if err := p.value(&m); err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return err
		}
		if m.kind == jsonObject || m.kind == jsonArray {
			// The callback is expected to fail; if it does not, the line is still malformed
			// for our purposes, and skipping a nested value is not supported.
			return p.errf("nested objects and arrays are not supported")
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return p.end()
		default:
			return p.errf("expected ',' or '}' after object value")
		}
	}
}

func (p *flatJSON) end() error {
	p.ws()
	if p.pos < len(p.data) {
		return p.errf("unexpected text after the end of the object")
	}
	return nil
}

func (p *flatJSON) errf(msg string) error { return &jsonSyntaxError{col: p.pos + 1, msg: msg} }

func (p *flatJSON) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *flatJSON) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *flatJSON) value(m *jsonMember) error {
	switch c := p.peek(); {
	case c == '"':
		var err error
		p.strBuf, err = p.str(p.strBuf[:0])
		m.kind, m.str = jsonString, p.strBuf
		return err
	case c == '{':
		m.kind = jsonObject
		return nil
	case c == '[':
		m.kind = jsonArray
		return nil
	case c == 't':
		m.kind, m.b = jsonBool, true
		return p.literal("true")
	case c == 'f':
		m.kind = jsonBool
		return p.literal("false")
	case c == 'n':
		m.kind = jsonNull
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(m)
	case c == 0 && p.pos >= len(p.data):
		return p.errf("unexpected end of line: a value is missing")
	}
	return p.errf("expected a JSON value")
}

func (p *flatJSON) literal(lit string) error {
	if len(p.data)-p.pos >= len(lit) && string(p.data[p.pos:p.pos+len(lit)]) == lit {
		p.pos += len(lit)
		return nil
	}
	return p.errf("invalid literal (expected " + lit + ")")
}

func (p *flatJSON) digits() int {
	n := 0
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
		n++
	}
	return n
}

func (p *flatJSON) number(m *jsonMember) error {
	start := p.pos
	m.kind, m.integral = jsonNumber, true
	if p.peek() == '-' {
		p.pos++
	}
	switch c := p.peek(); {
	case c == '0':
		p.pos++
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return p.errf("invalid number")
	}
	if p.peek() == '.' {
		p.pos++
		m.integral = false
		if p.digits() == 0 {
			return p.errf("invalid number: digits must follow the decimal point")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		m.integral = false
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if p.digits() == 0 {
			return p.errf("invalid number: digits must follow the exponent")
		}
	}
	m.num = p.data[start:p.pos]
	return nil
}

// str parses a JSON string at p.pos (which holds '"') and appends its unescaped bytes to dst.
func (p *flatJSON) str(dst []byte) ([]byte, error) {
	p.pos++ // opening quote
	for {
		// Copy a run of plain ASCII bytes at once.
		i := p.pos
		for i < len(p.data) {
			c := p.data[i]
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				break
			}
			i++
		}
		dst = append(dst, p.data[p.pos:i]...)
		p.pos = i
		if p.pos >= len(p.data) {
			return dst, p.errf("unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return dst, nil
		case c < 0x20:
			return dst, p.errf("control character in string (escape it, e.g. \\n)")
		case c >= 0x80:
			r, size := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return dst, &jsonSyntaxError{col: p.pos + 1, msg: errInvalidUTF8}
			}
			dst = append(dst, p.data[p.pos:p.pos+size]...)
			p.pos += size
		default: // backslash
			if p.pos+1 >= len(p.data) {
				return dst, p.errf("unterminated string")
			}
			e := p.data[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return dst, p.errf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A surrogate pair is two escapes; a lone surrogate becomes U+FFFD, as
					// encoding/json does.
					save := p.pos
					if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						p.pos += 2
						if r2, ok := p.hex4(); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								dst = utf8.AppendRune(dst, dec)
								continue
							}
						}
					}
					p.pos = save
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
			default:
				p.pos--
				return dst, p.errf("invalid escape sequence in string")
			}
		}
	}
}

func (p *flatJSON) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.pos += 4
	return r, true
}

const errInvalidUTF8 = "invalid UTF-8"
