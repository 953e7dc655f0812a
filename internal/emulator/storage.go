package emulator

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// The URLs under /_emulator/ stand in for the presigned storage URLs SendGrid hands out: the
// upload_uri of a CSV import, a job's errors_url and an export's urls. They are authorised by the
// signature in the URL alone, so the rules below are those of a presigned (AWS Signature
// Version 4, query-string) URL, and their refusals look like the storage service's: XML bodies,
// not SendGrid's {"errors":[…]}.

// UploadHeaders are the upload_headers PUT /v3/marketing/contacts/imports returns: the one header
// a real import response carries for its presigned storage URL, which that URL's signature covers.
// source: https://github.com/sendgrid/sendgrid-php/issues/1084 and https://github.com/sendgrid/sendgrid-java/issues/692 (real responses)
var UploadHeaders = [][2]string{{"x-amz-server-side-encryption", "aws:kms"}}

// storageError is the body a storage service sends with a refusal.
type storageError struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
	Header  string   `xml:"HeadersNotSigned,omitempty"`
}

func writeStorageError(w http.ResponseWriter, status int, e storageError) {
	b, _ := xml.Marshal(e)
	b = append([]byte(xml.Header), b...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// refuseStorageAuth answers a request to a presigned URL that also carries an Authorization
// header (an API key sent where only the URL's signature may authorise) and reports whether it did.
// source: https://github.com/request/request/issues/860 (S3: "Only one auth mechanism allowed")
func refuseStorageAuth(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") == "" {
		return false
	}
	writeStorageError(w, http.StatusBadRequest, storageError{Code: "InvalidArgument",
		Message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"})
	return true
}

// refuseUploadHeaders answers an upload that lacks one of UploadHeaders (or sends another value:
// the signature covers them) or sends an x-amz-* header the signature does not cover, and reports
// whether it did.
// source: https://github.com/ArchGPT/insomnium/issues/167 (S3: "There were headers present in the request which were not signed")
func refuseUploadHeaders(w http.ResponseWriter, r *http.Request) bool {
	signed := map[string]bool{}
	for _, h := range UploadHeaders {
		signed[strings.ToLower(h[0])] = true
		if got := r.Header.Values(h[0]); len(got) != 1 || got[0] != h[1] {
			writeStorageError(w, http.StatusForbidden, storageError{Code: "SignatureDoesNotMatch",
				Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."})
			return true
		}
	}
	var unsigned []string
	for name := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") && !signed[l] {
			unsigned = append(unsigned, l)
		}
	}
	if len(unsigned) > 0 {
		writeStorageError(w, http.StatusForbidden, storageError{Code: "AccessDenied",
			Message: "There were headers present in the request which were not signed", Header: strings.Join(unsigned, ", ")})
		return true
	}
	return false
}

func uploadHeadersJSON() []map[string]string {
	out := make([]map[string]string, 0, len(UploadHeaders))
	for _, h := range UploadHeaders {
		out = append(out, map[string]string{"header": h[0], "value": h[1]})
	}
	return out
}
