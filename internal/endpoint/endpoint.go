// Package endpoint decides which SendGrid API host the provider talks to, from the provider's
// api_url and region settings, and refuses hosts that would send an API key in clear text.
package endpoint

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Hosts of SendGrid's v3 API.
const (
	GlobalURL = "https://api.sendgrid.com"
	EUURL     = "https://api.eu.sendgrid.com"
)

// Regions are the values accepted by the provider's region setting.
var Regions = []string{"global", "eu"}

// What SendGrid documents about the EU host. Its data-residency FAQ says EU regional subusers
// must use https://api.eu.sendgrid.com ("critical to data residency"), and its OpenAPI files for
// /v3/scopes and /v3/user list both hosts ("for EU regional subusers"). Its OpenAPI files for
// Marketing Campaigns contacts, lists and field definitions (tsg_mc_contacts_v3.json,
// tsg_mc_lists_v3.json, tsg_mc_custom_fields_v3.json) list only the global host.
const (
	EUNoteSummary = "Marketing Campaigns on SendGrid's EU host is not documented"
	EUNoteDetail  = "region = \"eu\" sends every request to " + EUURL + ", the host SendGrid's data-residency FAQ requires " +
		"for EU regional subusers, so that contact data stays in the EU. SendGrid documents that host for the API key and " +
		"account endpoints (/v3/scopes, /v3/user), but its API reference for Marketing Campaigns contacts, lists and custom " +
		"field definitions lists only " + GlobalURL + ". The provider never falls back to the global host, which would move " +
		"EU contact data out of the region. If SendGrid answers 404 for a list or custom field you know exists, or refuses " +
		"the Marketing Campaigns requests, the EU subuser cannot use Marketing Campaigns through the API: ask SendGrid " +
		"support, and do not switch to region = \"global\" for EU data."
)

// Note returns a warning about what SendGrid does not document for region, or empty strings.
func Note(region string) (summary, detail string) {
	if region == "eu" {
		return EUNoteSummary, EUNoteDetail
	}
	return "", ""
}

// Error explains why a setting was refused and what to do instead.
type Error struct {
	Setting string // "api_url" or "region"
	Summary string
	Detail  string
}

func (e *Error) Error() string { return e.Setting + ": " + e.Summary + ": " + e.Detail }

// EnvAPIURL is the environment variable that supplies api_url when the configuration has none.
const EnvAPIURL = "SENDGRID_API_URL"

// Choose returns the base URL for the provider's settings and the value of EnvAPIURL. A setting
// written in the configuration wins over the environment: api_url in the configuration makes
// EnvAPIURL irrelevant. region and EnvAPIURL both choose the host, so region with EnvAPIURL set
// is refused rather than one of them silently ignored (someone who set EnvAPIURL to a local
// emulator would otherwise talk to production SendGrid).
func Choose(apiURL, region, envAPIURL string) (string, error) {
	if strings.TrimSpace(apiURL) != "" {
		return Resolve(apiURL, region)
	}
	if region != "" && strings.TrimSpace(envAPIURL) != "" {
		return "", &Error{Setting: "region", Summary: "conflicts with the " + EnvAPIURL + " environment variable",
			Detail: fmt.Sprintf("region = %q chooses SendGrid's host %s, and the environment variable %s chooses another host (%s). "+
				"Only one of them may choose the host: unset %s to use region, or remove region from the provider block to use "+
				"the host in %s (for example a local emulator).", region, regionURL(region), EnvAPIURL, redact(envAPIURL), EnvAPIURL, EnvAPIURL)}
	}
	return Resolve(envAPIURL, region)
}

// regionURL returns the host of a known region, or "an unknown host".
func regionURL(region string) string {
	switch region {
	case "global":
		return GlobalURL
	case "eu":
		return EUURL
	}
	return "an unknown host"
}

// Resolve returns the base URL (scheme and host, optional port and path prefix, no trailing
// slash) for the given api_url and region. At most one of them may be set; with neither, the
// global host is used.
func Resolve(apiURL, region string) (string, error) {
	apiURL = strings.TrimSpace(apiURL)
	if apiURL != "" && region != "" {
		return "", &Error{Setting: "api_url", Summary: "conflicting settings",
			Detail: "api_url and region both choose the SendGrid host; set only one of them (region = \"eu\" for EU data residency, or api_url for a custom host such as a local emulator)."}
	}
	switch region {
	case "":
	case "global":
		return GlobalURL, nil
	case "eu":
		return EUURL, nil
	default:
		return "", &Error{Setting: "region", Summary: "unknown region",
			Detail: fmt.Sprintf("region must be one of %q; got %q.", Regions, region)}
	}
	if apiURL == "" {
		return GlobalURL, nil
	}
	return CheckURL(apiURL)
}

// CheckURL validates an api_url: an absolute https URL, or http only when the host is a
// loopback address (a local emulator), so the API key never crosses a network in clear text.
func CheckURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", &Error{Setting: "api_url", Summary: "not an absolute http(s) URL",
			Detail: fmt.Sprintf("api_url must look like https://api.sendgrid.com (or http://127.0.0.1:PORT for a local emulator); got %q.", redact(raw))}
	}
	if u.User != nil {
		return "", &Error{Setting: "api_url", Summary: "credentials in URL",
			Detail: "api_url must not contain a user name or password; put the API key in api_key or the SENDGRID_API_KEY environment variable."}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", &Error{Setting: "api_url", Summary: "query or fragment in URL",
			Detail: "api_url is a base URL such as https://api.sendgrid.com; remove the query string and fragment."}
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return "", &Error{Setting: "api_url", Summary: "plain http to a non-loopback host",
			Detail: fmt.Sprintf("the API key would travel unencrypted to %q. Use https, or http only for a loopback address (127.0.0.1, ::1, localhost) such as a local SendGrid emulator.", u.Hostname())}
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// userinfo matches the credentials part of a URL, "scheme://user:password@", even in a URL
// that does not parse.
var userinfo = regexp.MustCompile(`^([^:/?#]*://)?[^/?#]*@`)

// redact removes credentials from a URL before it is shown in a message.
func redact(raw string) string {
	if m := userinfo.FindStringSubmatch(raw); m != nil {
		return m[1] + "***@" + raw[len(m[0]):]
	}
	return raw
}

// IsLoopback reports whether host names this machine: "localhost" or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
