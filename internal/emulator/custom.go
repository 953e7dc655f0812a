package emulator

// customVal is one custom field value by field ID: as received (string, json.Number, float64 or
// another JSON value) or as stored (string or float64).
type customVal struct {
	id string
	v  any
}

// customVals holds a contact's custom field values. A contact has few of them, so a slice
// searched in order costs less than a map, in time and in garbage collection of millions of
// stored contacts.
type customVals []customVal

func (cv customVals) get(id string) (any, bool) {
	for _, c := range cv {
		if c.id == id {
			return c.v, true
		}
	}
	return nil, false
}

// set replaces the value of id, or appends it.
func (cv *customVals) set(id string, v any) {
	for i := range *cv {
		if (*cv)[i].id == id {
			(*cv)[i].v = v
			return
		}
	}
	*cv = append(*cv, customVal{id, v})
}

// del removes the value of id, if any.
func (cv *customVals) del(id string) {
	for i, c := range *cv {
		if c.id == id {
			*cv = append((*cv)[:i], (*cv)[i+1:]...)
			return
		}
	}
}

// customByName returns the custom field values of c as a map by field name.
func customByName(a *account, c *contact) map[string]any {
	m := make(map[string]any, len(c.custom))
	for _, cv := range c.custom {
		if f := a.fields[cv.id]; f != nil {
			m[f.name] = cv.v
		}
	}
	return m
}

// byID returns the values as a map by field ID.
func (cv customVals) byID() map[string]any {
	m := make(map[string]any, len(cv))
	for _, c := range cv {
		m[c.id] = c.v
	}
	return m
}
