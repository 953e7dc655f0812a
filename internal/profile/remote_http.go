package profile

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/endpoint"
)

// httpStore reads a file served over https:// (or http:// on loopback). It sends no
// credentials: the URL must be readable as it is.
type httpStore struct {
	client *http.Client
	rs     remoteSpec
}

// defaultHTTPClient waits at most a minute for a server to connect and answer, and leaves the
// body's duration to the context (a large file takes as long as it takes).
var defaultHTTPClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   30 * time.Second,
	ResponseHeaderTimeout: time.Minute,
	MaxIdleConnsPerHost:   4,
}, CheckRedirect: func(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return fmt.Errorf("more than 5 redirects")
	}
	if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
		return fmt.Errorf("a redirect from https to %s was refused", req.URL.Scheme)
	}
	if req.URL.Scheme == "http" && !endpoint.IsLoopback(req.URL.Hostname()) {
		// As for the URL itself: profiles would cross the network unencrypted.
		return fmt.Errorf("a redirect to plain http:// on %s was refused (http:// is accepted only for loopback addresses)", req.URL.Hostname())
	}
	return nil
}}

func newHTTPStore(rs remoteSpec, o RemoteOptions) *httpStore {
	c := o.HTTPClient
	if c == nil {
		c = defaultHTTPClient
	}
	return &httpStore{client: c, rs: rs}
}

func (st *httpStore) do(ctx context.Context, method string, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, st.rs.url.String(), nil)
	if err != nil {
		return nil, &Error{Pos: Pos{File: st.rs.display}, Msg: "the URL cannot be requested", Hint: "check the URL"}
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// Compressed files are decompressed by name; ask for the bytes as they are stored.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := st.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Pos: Pos{File: st.rs.display}, Msg: "the server cannot be reached: " + networkText(err), Err: err,
			Hint: "check the URL, the network and proxies (HTTPS_PROXY)"}
	}
	return resp, nil
}

func (st *httpStore) stat(ctx context.Context) (objectInfo, error) {
	resp, err := st.do(ctx, http.MethodHead, nil)
	if err != nil {
		return objectInfo{}, err
	}
	_ = resp.Body.Close()
	info := objectInfo{Size: -1}
	switch {
	case resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented:
		return info, nil // no HEAD: no identity; the reads still check the length they get
	case resp.StatusCode/100 != 2:
		return info, st.statusError(resp.StatusCode)
	}
	info.Size = resp.ContentLength
	if et := resp.Header.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		info.ETag = et
	}
	return info, nil
}

func (st *httpStore) get(ctx context.Context, info objectInfo, off, n int64) (io.ReadCloser, error) {
	hdr := map[string]string{}
	if info.ETag != "" {
		hdr["If-Match"] = info.ETag
	}
	if r := byteRange(off, n); r != "" {
		hdr["Range"] = r
	}
	resp, err := st.do(ctx, http.MethodGet, hdr)
	if err != nil {
		return nil, err
	}
	want := http.StatusOK
	if hdr["Range"] != "" {
		want = http.StatusPartialContent
	}
	if resp.StatusCode != want {
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK && hdr["Range"] != "" {
			return nil, &Error{Pos: Pos{File: st.rs.display}, Msg: "the server does not serve byte ranges (Range requests)",
				Hint: "serve the file from a server that supports Range requests, or use an s3:// source"}
		}
		return nil, st.statusError(resp.StatusCode)
	}
	if et := resp.Header.Get("ETag"); info.ETag != "" && et != "" && et != info.ETag {
		_ = resp.Body.Close()
		return nil, objectChanged(st.rs.display)
	}
	return resp.Body, nil
}

func (st *httpStore) statusError(code int) *Error {
	pos := Pos{File: st.rs.display}
	what := strconv.Itoa(code) + " " + http.StatusText(code)
	switch code {
	case http.StatusNotFound, http.StatusGone:
		return &Error{Pos: pos, Msg: "there is no file at this URL (HTTP " + what + ")", Hint: "check the URL"}
	case http.StatusUnauthorized, http.StatusForbidden:
		return &Error{Pos: pos, Msg: "the server refused access (HTTP " + what + "); https:// sources are read without credentials",
			Hint: "use a URL readable without credentials, or keep the object in S3 and name it s3://bucket/key, with credentials from the environment"}
	case http.StatusPreconditionFailed:
		return objectChanged(st.rs.display)
	}
	return &Error{Pos: pos, Msg: "the server answered HTTP " + what, Hint: "run again; if it persists, check the server"}
}
