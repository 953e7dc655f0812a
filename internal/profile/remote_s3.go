package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// s3Store reads one object of an S3 bucket (or an S3-compatible store) with the AWS SDK.
// Credentials come from the SDK's default chain only: environment variables, shared
// configuration and credential files (AWS_PROFILE), web identity, container and instance roles.
type s3Store struct {
	client   *s3.Client
	rs       remoteSpec
	endpoint string // for messages: the configured endpoint, or "" for AWS
}

func newS3Store(ctx context.Context, rs remoteSpec, o RemoteOptions) (*s3Store, error) {
	var fns []func(*config.LoadOptions) error
	if o.S3Region != "" {
		fns = append(fns, config.WithRegion(o.S3Region))
	}
	if o.HTTPClient != nil {
		fns = append(fns, config.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, fns...)
	if err != nil {
		return nil, &Error{Pos: Pos{File: rs.display}, Msg: "the AWS configuration cannot be loaded: " + err.Error(),
			Hint: "check AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"}
	}
	// The SDK's own log lines (such as skipped checksum validation) go nowhere: Terraform
	// shows a provider's stderr.
	cfg.Logger = logging.Nop{}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Pos: Pos{File: rs.display}, Msg: "no AWS credentials were found to read the object",
			Hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE, in the environment Terraform runs in, or run it with an instance or container role; credentials never go in the source string"}
	}
	st := &s3Store{rs: rs, endpoint: o.S3Endpoint}
	st.client = s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.S3Endpoint != "" {
			so.BaseEndpoint = aws.String(o.S3Endpoint)
		}
		so.UsePathStyle = o.S3PathStyle
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	return st, nil
}

func (st *s3Store) stat(ctx context.Context) (objectInfo, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(st.rs.bucket), Key: aws.String(st.rs.key)}
	if st.rs.versionID != "" {
		in.VersionId = aws.String(st.rs.versionID)
	}
	out, err := st.client.HeadObject(ctx, in)
	if err != nil {
		if code := httpStatus(err); code == 403 || code == 400 || code == 404 {
			// A HEAD response has no body, so no error code: ask again with a GET of one byte,
			// whose error says which credential is wrong, or whether the bucket or the key is
			// missing.
			_, gerr := st.client.GetObject(ctx, &s3.GetObjectInput{Bucket: in.Bucket, Key: in.Key, VersionId: in.VersionId, Range: aws.String("bytes=0-0")})
			if gerr != nil && errorCode(gerr) != "" {
				err = gerr
			}
		}
		return objectInfo{}, st.explain(ctx, err)
	}
	info := objectInfo{Size: -1, ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId)}
	if out.ContentLength != nil {
		info.Size = *out.ContentLength
	}
	return info, nil
}

func (st *s3Store) get(ctx context.Context, info objectInfo, off, n int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(st.rs.bucket), Key: aws.String(st.rs.key)}
	switch {
	case info.VersionID != "":
		in.VersionId = aws.String(info.VersionID)
	case info.ETag != "":
		in.IfMatch = aws.String(info.ETag)
	}
	if r := byteRange(off, n); r != "" {
		in.Range = aws.String(r)
	}
	out, err := st.client.GetObject(ctx, in)
	if err != nil {
		if info.VersionID != "" && st.rs.versionID == "" && (httpStatus(err) == 404 || errorCode(err) == "NoSuchVersion") {
			// The version first seen is gone: the object was replaced (unversioned stores) or deleted.
			return nil, objectChanged(st.rs.display)
		}
		return nil, st.explain(ctx, err)
	}
	if info.ETag != "" && out.ETag != nil && *out.ETag != info.ETag {
		_ = out.Body.Close()
		return nil, objectChanged(st.rs.display)
	}
	return out.Body, nil
}

// byteRange is the HTTP Range header value for n bytes from off, or "" for the whole object.
func byteRange(off, n int64) string {
	switch {
	case n < 0 && off == 0:
		return ""
	case n < 0:
		return "bytes=" + strconv.FormatInt(off, 10) + "-"
	}
	return "bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+n-1, 10)
}

func objectChanged(name string) *Error {
	return &Error{Pos: Pos{File: name}, Msg: "the object changed while it was read (its ETag or version is no longer the one first seen)",
		Hint: "write the object completely before planning (upload a new object, then point the source at it, or let the upload finish), then run again"}
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// explain turns an S3 error into an *Error naming the bucket and key and what to do. It never
// shows credentials (the SDK's messages can hold the access key ID).
func (st *s3Store) explain(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	pos := Pos{File: st.rs.display}
	code, status := errorCode(err), httpStatus(err)
	where := fmt.Sprintf("bucket %q, key %q", st.rs.bucket, st.rs.key)
	switch {
	case code == "NoSuchKey" || code == "NotFound" || (status == 404 && code != "NoSuchBucket"):
		return &Error{Pos: pos, Msg: "the object does not exist (" + where + ")", Err: err,
			Hint: "check the bucket and key (keys are case-sensitive), and that the export that writes the object has run"}
	case code == "NoSuchBucket":
		return &Error{Pos: pos, Msg: fmt.Sprintf("the bucket %q does not exist", st.rs.bucket), Err: err,
			Hint: "check the bucket name, and for an S3-compatible store the provider's s3_endpoint"}
	case code == "NoSuchVersion":
		return &Error{Pos: pos, Msg: "the object has no version " + strconv.Quote(st.rs.versionID) + " (" + where + ")", Err: err,
			Hint: "check the versionId in the source"}
	case code == "InvalidAccessKeyId":
		return &Error{Pos: pos, Msg: "the store does not know the access key ID (InvalidAccessKeyId) reading " + where, Err: err,
			Hint: "check AWS_ACCESS_KEY_ID (or the profile AWS_PROFILE names) in the environment Terraform runs in, and that it belongs to this store"}
	case code == "SignatureDoesNotMatch":
		return &Error{Pos: pos, Msg: "the store rejected the request's signature (SignatureDoesNotMatch) reading " + where + ": the secret access key does not match the access key ID", Err: err,
			Hint: "check AWS_SECRET_ACCESS_KEY (or the profile's aws_secret_access_key)"}
	case code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired":
		return &Error{Pos: pos, Msg: "the session token was refused (" + code + ") reading " + where, Err: err,
			Hint: "renew the temporary credentials (AWS_SESSION_TOKEN, aws sso login) and run again"}
	case code == "AccessDenied" || status == 403:
		return &Error{Pos: pos, Msg: "access denied reading " + where, Err: err,
			Hint: "give the credentials Terraform runs with s3:GetObject on the object (and s3:GetObjectVersion for a versionId), and check the bucket policy"}
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == 301:
		return &Error{Pos: pos, Msg: "the bucket is in another region than the one configured (" + where + ")", Err: err,
			Hint: "set the provider's s3_region (or AWS_REGION) to the bucket's region"}
	case code == "PreconditionFailed" || status == 412:
		return objectChanged(st.rs.display)
	case status != 0:
		return &Error{Pos: pos, Msg: fmt.Sprintf("the store answered HTTP %d %s reading %s", status, code, where), Err: err,
			Hint: "run again; if it persists, check the store's status and the provider's s3_endpoint"}
	}
	return &Error{Pos: pos, Msg: "the store cannot be reached: " + networkText(err), Err: err,
		Hint: "check the network, proxies and, for an S3-compatible store, the provider's s3_endpoint (or AWS_ENDPOINT_URL_S3)"}
}

// networkText is the innermost useful text of a transport error, without the SDK's wrapping.
func networkText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
