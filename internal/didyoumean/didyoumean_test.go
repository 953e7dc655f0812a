package didyoumean

import "testing"

func TestClosest(t *testing.T) {
	cols := []string{"email", "first_name", "last_name", "country_code", "zip"}
	for in, want := range map[string]string{"emial": "email", "FirstName": "first_name", "firstname": "first_name", "Email": "email",
		"country": "country_code", "postcode": "", "lastname": "last_name", "ab": ""} {
		if got := Closest(in, cols); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Closest("name", []string{"first_name", "last_name"}); got != "" {
		t.Errorf("an ambiguous containment must not suggest, got %q", got)
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"kitten", "sitting", 3}, {"zoë", "zoe", 1}, {"abc", "", 3}} {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}
