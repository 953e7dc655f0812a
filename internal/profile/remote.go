package profile

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/endpoint"
)

// RemoteOptions configure s3:// and https:// sources. The zero value reads from AWS with the
// SDK's usual configuration (environment, shared files, instance roles).
type RemoteOptions struct {
	// S3Endpoint is the base URL of an S3-compatible store (MinIO, Ceph, R2, ...). Empty: AWS,
	// or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL when set, as the AWS SDK reads them.
	S3Endpoint string
	// S3Region is the bucket's region. Empty: AWS_REGION or the shared configuration, else us-east-1.
	S3Region string
	// S3PathStyle addresses buckets in the path (endpoint/bucket/key) instead of the host name
	// (bucket.endpoint/key), as most S3-compatible stores need.
	S3PathStyle bool
	// HTTPClient, when set, carries the requests of https:// sources and of S3 (tests use it to
	// trust a loopback TLS server). Nil: a client with the usual timeouts.
	HTTPClient *http.Client
}

// remoteSpec is an s3:// or https:// source string taken apart.
type remoteSpec struct {
	scheme    string   // "s3", "https", or "http" (loopback only)
	bucket    string   // s3
	key       string   // s3
	versionID string   // s3: ?versionId= pins one version of the object
	url       *url.URL // https
	display   string   // how positions and messages name the object: s3://bucket/key or scheme://host/path
	kind      Kind
	codec     string // "", extGzip or extZstd, from the name's last extension
}

// isRemote reports whether s (lower case) is an s3://, https:// or http:// URL.
func isRemote(lower string) bool {
	return strings.HasPrefix(lower, "s3://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://")
}

// credentialParams are fragments of query parameter names that carry credentials: presigned
// S3 and GCS URLs (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, X-Goog-Signature),
// Azure SAS tokens (sig), and the usual token and key parameters. The source string is stored
// in Terraform state, so none of them may be part of it.
var credentialParams = []string{"signature", "credential", "token", "secret", "password", "sig", "key", "auth", "session"}

// parseRemote takes apart a remote source string. forced is the kind a csv: or jsonl: prefix
// names, or "" to take it from the object name's extension. Errors never repeat the query
// string or user information, which may hold secrets.
func parseRemote(s string, forced Kind) (remoteSpec, error) {
	var rs remoteSpec
	var err error
	if strings.HasPrefix(strings.ToLower(s), "s3://") {
		rs, err = parseS3URL(s)
	} else {
		rs, err = parseHTTPURL(s)
	}
	if err != nil {
		return rs, err
	}
	name := rs.key
	if rs.url != nil {
		name = rs.url.Path
	}
	rs.kind, rs.codec = remoteFormat(name)
	if forced != "" {
		rs.kind = forced
	}
	switch rs.kind {
	case KindCSV, KindJSONL, KindParquet:
		return rs, nil
	}
	return rs, &Error{Pos: Pos{File: rs.display}, Msg: "cannot tell the format of the object from its name",
		Hint: "name an object ending in .csv, .jsonl, .ndjson or .parquet (optionally followed by .gz or .zst), or prefix the URL with csv:, jsonl: or parquet:"}
}

// remoteFormat returns the kind and compression an object name's extensions say.
func remoteFormat(name string) (Kind, string) {
	codec := ""
	switch strings.ToLower(path.Ext(name)) {
	case ".gz", ".gzip":
		codec = extGzip
	case ".zst", ".zstd":
		codec = extZstd
	}
	if codec != "" {
		name = strings.TrimSuffix(name, path.Ext(name))
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return KindCSV, codec
	case ".jsonl", ".ndjson":
		return KindJSONL, codec
	case ".parquet":
		return KindParquet, codec
	}
	return "", codec
}

func parseS3URL(s string) (remoteSpec, error) {
	rest, query, hasQuery := strings.Cut(s[len("s3://"):], "?")
	rs := remoteSpec{scheme: "s3"}
	bucket, key, _ := strings.Cut(rest, "/")
	rs.bucket, rs.key, rs.display = bucket, key, "s3://"+rest
	// Before anything else names the object: the bucket part may hold a key ID and secret,
	// which no message may repeat.
	if strings.Contains(bucket, "@") || strings.Contains(bucket, ":") {
		return rs, &Error{Msg: "the s3:// URL holds a user name, password or port before the bucket name",
			Hint: "write s3://bucket/key; credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, an instance role), never from the source string, which is stored in Terraform state; an S3-compatible endpoint goes in the provider's s3_endpoint"}
	}
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil || len(q) != 1 || len(q["versionId"]) != 1 || q.Get("versionId") == "" {
			return rs, &Error{Pos: Pos{File: rs.display}, Msg: "an s3:// source takes no query string other than ?versionId=...",
				Hint: "credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, an instance role), never from the source string, which is stored in Terraform state"}
		}
		rs.versionID = q.Get("versionId")
	}
	if !validBucket(bucket) {
		return rs, &Error{Pos: Pos{File: rs.display}, Msg: fmt.Sprintf("%q is not a valid S3 bucket name", bucket),
			Hint: "write s3://bucket/path/to/customers.csv; bucket names are 3 to 63 lower-case letters, digits, dots and hyphens"}
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return rs, &Error{Pos: Pos{File: rs.display}, Msg: "the s3:// URL names no object, only a bucket or a folder",
			Hint: "name the object itself: s3://" + bucket + "/path/to/customers.csv"}
	}
	return rs, nil
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for _, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func parseHTTPURL(s string) (remoteSpec, error) {
	rs := remoteSpec{}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return rs, &Error{Msg: "the URL of the source cannot be parsed",
			Hint: "write https://host/path/customers.csv (percent-encode spaces and special characters)"}
	}
	rs.scheme, rs.url = strings.ToLower(u.Scheme), u
	rs.display = rs.scheme + "://" + u.Host + u.EscapedPath()
	if u.User != nil {
		return rs, &Error{Pos: Pos{File: rs.display}, Msg: "the URL holds a user name or password; the source string is stored in Terraform state, so it must not hold a secret",
			Hint: "remove the credentials from the URL; https:// sources are read without credentials (use an s3:// source for private objects, with credentials from the environment)"}
	}
	if u.Fragment != "" {
		return rs, &Error{Pos: Pos{File: rs.display}, Msg: "the URL holds a #fragment, which is never sent to the server and may hold a token; the source string is stored in Terraform state",
			Hint: "remove everything from the # on"}
	}
	if name := credentialParam(u.RawQuery); name != "" {
		return rs, &Error{Pos: Pos{File: rs.display}, Msg: fmt.Sprintf("the URL's query string holds a credential (parameter %q); the source string is stored in Terraform state, so it must not hold a secret", name),
			Hint: "do not use presigned or token URLs as sources: name the object as s3://bucket/key and give the provider credentials through the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, an instance role)"}
	}
	if rs.scheme == "http" && !endpoint.IsLoopback(u.Hostname()) {
		return rs, &Error{Pos: Pos{File: rs.display}, Msg: "plain http:// is accepted only for loopback addresses; profiles would cross the network unencrypted",
			Hint: "use an https:// URL"}
	}
	if rs.scheme != "http" && rs.scheme != "https" {
		return rs, &Error{Pos: Pos{File: rs.display}, Msg: fmt.Sprintf("unsupported URL scheme %q", rs.scheme), Hint: "use https:// or s3://"}
	}
	return rs, nil
}

// credentialParam returns the first parameter of a raw query string whose name looks like a
// credential, or "". Parameters are split at '&' and at ';' (which servers may take as a
// separator, though url.ParseQuery drops such pairs), and a name that cannot be unescaped is
// read as it is written: a malformed pair must not hide a token.
func credentialParam(rawQuery string) string {
	for _, pair := range strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		low := strings.ToLower(name)
		for _, frag := range credentialParams {
			if strings.Contains(low, frag) {
				return name
			}
		}
	}
	return ""
}

// objectInfo is what a HEAD request says about a remote object.
type objectInfo struct {
	Size      int64  // -1 when unknown
	ETag      string // as the store sends it, quotes included; "" when none
	VersionID string // S3 versioned buckets only
}

// version identifies the object's content without reading it: its ETag, version ID and size,
// as far as the store tells them. "" when it tells none.
func (i objectInfo) version() string {
	var parts []string
	if i.ETag != "" {
		parts = append(parts, "etag="+i.ETag)
	}
	if i.VersionID != "" {
		parts = append(parts, "version="+i.VersionID)
	}
	if len(parts) == 0 {
		return ""
	}
	if i.Size >= 0 {
		parts = append(parts, "size="+strconv.FormatInt(i.Size, 10))
	}
	return strings.Join(parts, " ")
}

// remoteStore reads one remote object.
type remoteStore interface {
	// stat asks for the object's size, ETag and version without reading it.
	stat(ctx context.Context) (objectInfo, error)
	// get reads n bytes from off (n < 0: to the end) of the version stat described; the
	// store refuses (and get fails) when the object has changed since.
	get(ctx context.Context, info objectInfo, off, n int64) (io.ReadCloser, error)
}

func newRemoteStore(ctx context.Context, rs remoteSpec, o RemoteOptions) (remoteStore, error) {
	if rs.scheme == "s3" {
		return newS3Store(ctx, rs, o)
	}
	return newHTTPStore(rs, o), nil
}

// remoteSource is a source read from a remote object.
type remoteSource struct {
	Source
	info objectInfo
}

// SourceVersion returns the object's ETag, version ID and size ("" when the store tells none).
func (s *remoteSource) SourceVersion() string { return s.info.version() }

// openRemote opens an s3:// or https:// source of the given kind (CSV, JSON Lines or Parquet;
// see openRemoteParquet for the last). It asks
// for the object's identity once (HEAD); every read of it (the JSON Lines type pass, and each
// Scan) streams the object again and fails when it no longer has that identity.
func openRemote(ctx context.Context, kind Kind, spec string, opts Options) (Source, error) {
	rs, err := parseRemote(spec, kind)
	if err != nil {
		return nil, err
	}
	store, err := newRemoteStore(ctx, rs, opts.Remote)
	if err != nil {
		return nil, err
	}
	info, err := store.stat(ctx)
	if err != nil {
		return nil, err
	}
	if rs.kind == KindParquet {
		return openRemoteParquet(ctx, rs, store, info)
	}
	open := func(ctx context.Context) (io.ReadCloser, error) {
		return openRemoteStream(ctx, rs, store, info)
	}
	key := ""
	if v := info.version(); v != "" {
		key = strings.Join([]string{string(rs.kind), rs.codec, opts.Remote.S3Endpoint, rs.display, v}, "\x00")
	}
	if src := remoteColumns.reuse(key, open); src != nil {
		return &remoteSource{Source: src, info: info}, nil
	}
	var src Source
	if rs.kind == KindJSONL {
		src, err = openJSONLStream(ctx, rs.display, open)
	} else {
		src, err = openCSVStream(ctx, rs.display, open)
	}
	if err != nil {
		return nil, err
	}
	remoteColumns.keep(key, src)
	return &remoteSource{Source: src, info: info}, nil
}

// remoteColumns remembers, by object identity (ETag or version ID, and size), the columns
// learnt when an object was opened: the header of a CSV object, the columns and types a pass
// over a JSON Lines object found. Opening the same version again (an export planning after its
// segment's data source read the object, in one run of the provider) then costs a HEAD request
// instead of a read. Objects without an identity are always read.
var remoteColumns = &columnCache{m: map[string]Source{}}

// columnCacheMax bounds the remembered objects; past it the cache starts over.
const columnCacheMax = 256

type columnCache struct {
	mu sync.Mutex
	m  map[string]Source
}

func (c *columnCache) keep(key string, src Source) {
	if key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= columnCacheMax {
		clear(c.m)
	}
	c.m[key] = src
}

// reuse returns a source with the remembered columns that reads through open, or nil.
func (c *columnCache) reuse(key string, open streamOpener) Source {
	if key == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s := c.m[key].(type) {
	case *csvSource:
		return &csvSource{path: s.path, open: open, cols: s.cols, header: s.header}
	case *jsonlSource:
		return &jsonlSource{path: s.path, open: open, cols: s.cols, index: s.index}
	}
	return nil
}

// openRemoteStream streams the object from its start: checked for length and dropped
// connections, decompressed as its name says, and refused when it starts as UTF-16.
func openRemoteStream(ctx context.Context, rs remoteSpec, store remoteStore, info objectInfo) (io.ReadCloser, error) {
	rc, err := openBody(ctx, rs.display, store, info, 0, -1)
	if err != nil {
		return nil, err
	}
	r, closeFn, err := decompressAs(rs.display, rs.codec, rc)
	if err != nil {
		_ = rc.Close()
		return nil, err
	}
	t := &textFile{Reader: bufio.NewReaderSize(r, 64<<10), close: closeFn}
	head, _ := t.Peek(4) // a failed read is reported where the lines are read
	if err := checkEncoding(head, rs.display); err != nil {
		_ = t.Close()
		return nil, err
	}
	if head, _ := t.Peek(512); isHTMLPage(head) {
		_ = t.Close()
		return nil, &Error{Pos: Pos{File: rs.display, Line: 1}, Msg: "the object is an HTML page, not " + rs.kind.Label() + " (a sign-in, error or index page served in place of the file?)",
			Hint: "check that the URL names the file itself and that it is readable without signing in; https:// sources are read without credentials (use an s3:// source for private objects)"}
	}
	return t, nil
}

// openBody reads n bytes from off (n < 0: to the end) of the object named name, in the version
// info describes: the body fails when the connection stalls for RemoteIdleTimeout, is cut, or
// ends before its length (n, or the object's size).
func openBody(ctx context.Context, name string, store remoteStore, info objectInfo, off, n int64) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	body, err := store.get(ctx, info, off, n)
	if err != nil {
		cancel()
		return nil, err
	}
	idle := &idleBody{rc: body, cancel: cancel}
	idle.timer = time.AfterFunc(RemoteIdleTimeout, idle.expire)
	want := n
	if n < 0 {
		want = info.Size
	}
	return &checkedBody{rc: idle, name: name, want: want}, nil
}

// isHTMLPage reports whether the start of an object is an HTML document: no CSV header or
// JSON line starts with <!DOCTYPE html or <html.
func isHTMLPage(head []byte) bool {
	head = bytes.ToLower(bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n"))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html"))
}

// checkedBody counts the bytes of an object's body and turns a body that ends early (a
// connection dropped or cut mid-read) into an *Error, so that no partial object is taken for
// the whole.
type checkedBody struct {
	rc   io.ReadCloser
	name string
	want int64 // -1: unknown
	n    int64
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	switch {
	case b.want >= 0 && b.n > b.want:
		// A body that runs on past the object's size is not the object first seen; stop
		// here rather than read a body that may never end.
		return n, b.cut(fmt.Sprintf("the object went on past its size, sending more than its %d bytes", b.want))
	case err == io.EOF && b.want >= 0 && b.n != b.want:
		return n, b.cut(fmt.Sprintf("the object ended after %d of its %d bytes", b.n, b.want))
	case err != nil && err != io.EOF:
		return n, b.cut(fmt.Sprintf("the connection failed after %d bytes: %s", b.n, errText(err)))
	}
	return n, err
}

func (b *checkedBody) cut(what string) error {
	return &Error{Pos: Pos{File: b.name}, Msg: "reading the object failed: " + what + "; nothing read from it is used",
		Hint: "run again; if it keeps failing, check the network path to the store (proxies, timeouts) and that the object is not being replaced"}
}

func (b *checkedBody) Close() error { return b.rc.Close() }

// RemoteIdleTimeout is how long a remote object's body may send nothing before the read is
// abandoned as a stalled connection (one that neither sends nor closes).
var RemoteIdleTimeout = 2 * time.Minute

// idleBody cancels its request when no byte arrives for RemoteIdleTimeout.
type idleBody struct {
	rc      io.ReadCloser
	cancel  context.CancelFunc
	timer   *time.Timer
	expired atomic.Bool
}

func (b *idleBody) expire() {
	b.expired.Store(true)
	b.cancel()
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(RemoteIdleTimeout)
	}
	if err != nil && err != io.EOF && b.expired.Load() {
		err = fmt.Errorf("no data arrived for %s (a stalled connection)", RemoteIdleTimeout)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel()
	return err
}
